import Yams

/// A YAML node with its path in the card, for reading with errors that name the path and line.
struct YAMLCursor {
    let node: Node
    let path: String
    /// Every path read so far and its line, to place errors found after decoding.
    let lines: LineBook

    final class LineBook {
        private(set) var lines: [String: Int] = [:]
        func record(_ path: String, _ line: Int?) {
            if let line, lines[path] == nil { lines[path] = line }
        }
    }

    init(node: Node, path: String, lines: LineBook) {
        self.node = node
        self.path = path
        self.lines = lines
        lines.record(path, node.mark?.line)
    }

    var line: Int? { node.mark?.line }

    func error(_ message: String) -> ScorecardError {
        ScorecardError(path: path, line: line, message: message)
    }

    private func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The mapping's entries, rejecting keys outside `allowed` (catches typos).
    func mapping(allowing allowed: Set<String>) throws(ScorecardError) -> [String: YAMLCursor] {
        guard case let .mapping(mapping) = node else { throw error("expected a mapping") }
        var entries: [String: YAMLCursor] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw error("keys must be strings") }
            let child = YAMLCursor(node: value, path: childPath(name), lines: lines)
            guard allowed.contains(name) else {
                throw ScorecardError(path: child.path, line: key.mark?.line,
                                     message: "unknown key \(name) (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
            entries[name] = child
        }
        return entries
    }

    func elements() throws(ScorecardError) -> [YAMLCursor] {
        guard case let .sequence(sequence) = node else { throw error("expected a list") }
        return sequence.enumerated().map { YAMLCursor(node: $1, path: "\(path)[\($0)]", lines: lines) }
    }

    func string() throws(ScorecardError) -> String {
        guard case let .scalar(scalar) = node else { throw error("expected a text value") }
        return scalar.string
    }

    func strings() throws(ScorecardError) -> [String] {
        var result: [String] = []
        for element in try elements() { result.append(try element.string()) }
        return result
    }

    func number() throws(ScorecardError) -> Double {
        let text = try string()
        guard let value = Double(text), value.isFinite else { throw error("expected a finite number, found \"\(text)\"") }
        return value
    }

    func integer() throws(ScorecardError) -> Int {
        let text = try string()
        guard let value = Int(text) else { throw error("expected an integer, found \"\(text)\"") }
        return value
    }
}

extension Dictionary where Key == String, Value == YAMLCursor {
    /// The entry `key`, or an error on `parent` saying it is missing.
    func required(_ key: String, in parent: YAMLCursor) throws(ScorecardError) -> YAMLCursor {
        guard let value = self[key] else { throw parent.error("missing key \(key)") }
        return value
    }
}
