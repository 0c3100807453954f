import Yams

/// The broker's one YAML reader: policies, the catalog, contracts and scorecards are read through
/// it. It reads one file's nodes into typed values and collects a located diagnostic for each
/// problem instead of stopping at the first, so an author sees every mistake of a file at once.
///
/// Every accessor takes a `what` phrase or path ("item 'enterprise.penalty' source",
/// `features[2].bins[1]`) that its messages name, and returns `nil` after recording a diagnostic
/// when the value is absent or malformed. The line of every `what` read is kept (`lines`), so a
/// check made on the decoded values can still name the line of what it refuses.
public struct YAMLReader {
    /// The file name reported in diagnostics.
    public let file: String
    /// Problems found so far, in the order found.
    public private(set) var diagnostics: [YAMLDiagnostic] = []
    /// The line of each `what` read so far (the first read of a phrase wins).
    public private(set) var lines: [String: Int] = [:]

    public init(file: String) {
        self.file = file
    }

    /// Composes `text` into its single root node; a YAML syntax error becomes a diagnostic.
    public mutating func root(of text: String) -> Node? {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                fail(nil, "the file is empty")
                return nil
            }
            return node
        } catch let error as YamlError {
            switch error {
            case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
                fail(line: mark.line, "malformed YAML: \(problem)")
            case let .duplicatedKeysInMapping(duplicates, context):
                let keys = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
                fail(line: context.mark.line, "duplicate key \(keys) in one mapping")
            default:
                fail(nil, "malformed YAML: \(error)")
            }
            return nil
        } catch {
            fail(nil, "malformed YAML: \(error)")
            return nil
        }
    }

    /// Records a problem at `node`'s line (line 0 when there is no node).
    public mutating func fail(_ node: Node?, _ message: String) {
        fail(line: node?.mark?.line ?? 0, message)
    }

    /// Records a problem at `line`, for checks made after the nodes are gone.
    public mutating func fail(line: Int, _ message: String) {
        diagnostics.append(.init(file: file, line: line, message: message))
    }

    /// A mapping with a fixed set of keys; unknown keys and missing required keys are reported.
    public mutating func mapping(_ node: Node, _ what: String, required: [String] = [], optional: [String] = []) -> YAMLMapping? {
        guard let entries = entries(node, what) else { return nil }
        let known = Set(required).union(optional)
        var values: [String: Node] = [:]
        for (key, keyNode, value) in entries {
            if known.contains(key) {
                values[key] = value
            } else {
                let expected = (required + optional.filter { !required.contains($0) }).joined(separator: ", ")
                fail(keyNode, "unknown key '\(key)' in \(what) (expected: \(expected))")
            }
        }
        for key in required where values[key] == nil {
            fail(node, "\(what) is missing '\(key)'")
        }
        return YAMLMapping(node: node, values: values)
    }

    /// A mapping whose keys are names chosen by the author (item ids, profile names), in file order.
    public mutating func entries(_ node: Node, _ what: String) -> [(key: String, keyNode: Node, value: Node)]? {
        note(node, what)
        guard let mapping = node.mapping else {
            fail(node, "\(what) must be a mapping")
            return nil
        }
        var result: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                fail(keyNode, "\(what) has a key that is not a plain string")
                continue
            }
            result.append((key, keyNode, value))
        }
        return result
    }

    /// A sequence's elements.
    public mutating func sequence(_ node: Node, _ what: String) -> [Node]? {
        note(node, what)
        guard let sequence = node.sequence else {
            fail(node, "\(what) must be a list")
            return nil
        }
        return Array(sequence)
    }

    /// A non-empty scalar string; `nil` without a diagnostic when `node` is `nil` (an absent optional key).
    /// With `allowingEmpty`, an empty text (`""`, or a plain null) is the empty string.
    public mutating func string(_ node: Node?, _ what: String, allowingEmpty: Bool = false) -> String? {
        guard let node else { return nil }
        note(node, what)
        guard let scalar = node.scalar else {
            fail(node, "\(what) must be a single value, not a list or mapping")
            return nil
        }
        let isNull = scalar.style == .plain && ["~", "null", "Null", "NULL"].contains(scalar.string)
        if allowingEmpty, isNull { return "" }
        guard allowingEmpty || !scalar.string.isEmpty, !isNull else {
            fail(node, "\(what) must not be empty")
            return nil
        }
        return scalar.string
    }

    /// A scalar that `parse` reads; otherwise a diagnostic that `what` must be `expected`.
    public mutating func scalar<Value>(_ node: Node?, _ what: String, expected: String, _ parse: (String) -> Value?) -> Value? {
        guard let text = string(node, what) else { return nil }
        guard let value = parse(text) else {
            fail(node, "\(what) must be \(expected), not '\(text)'")
            return nil
        }
        return value
    }

    /// A decimal integer within `range` (`_` may group digits).
    public mutating func int(_ node: Node?, _ what: String, in range: ClosedRange<Int> = 0...Int.max) -> Int? {
        let bounds = switch (range.lowerBound, range.upperBound) {
        case (.min, .max): ""
        case (_, .max): " at least \(range.lowerBound)"
        default: " in \(range.lowerBound)...\(range.upperBound)"
        }
        return scalar(node, what, expected: "a whole number" + bounds) { text in
            Int(text.replacingOccurrences(of: "_", with: "")).flatMap { range.contains($0) ? $0 : nil }
        }
    }

    /// A finite decimal number.
    public mutating func number(_ node: Node?, _ what: String) -> Double? {
        scalar(node, what, expected: "a number") { Double($0).flatMap { $0.isFinite ? $0 : nil } }
    }

    /// A non-negative decimal number.
    public mutating func decimal(_ node: Node?, _ what: String) -> Double? {
        scalar(node, what, expected: "a non-negative number") { Double($0).flatMap { $0.isFinite && $0 >= 0 ? $0 : nil } }
    }

    /// `true` or `false`.
    public mutating func bool(_ node: Node?, _ what: String) -> Bool? {
        scalar(node, what, expected: "true or false") { ["true": true, "false": false][$0] }
    }

    /// One of an enumeration's raw values.
    public mutating func choice<Value: RawRepresentable & CaseIterable>(_ node: Node?, _ what: String, as type: Value.Type) -> Value?
    where Value.RawValue == String {
        scalar(node, what, expected: "one of " + Value.allCases.map(\.rawValue).joined(separator: ", "), Value.init(rawValue:))
    }

    /// A list of strings, each with its node (for later name checks at the right line); duplicates are
    /// reported. With `allowingEmpty`, an element may be the empty string.
    public mutating func strings(_ node: Node?, _ what: String, allowingEmpty: Bool = false) -> [(value: String, node: Node)]? {
        guard let node, let elements = sequence(node, what) else { return nil }
        var seen = Set<String>()
        var result: [(value: String, node: Node)] = []
        for element in elements {
            guard let value = string(element, "each of \(what)", allowingEmpty: allowingEmpty) else { continue }
            if !seen.insert(value).inserted {
                fail(element, "\(what) lists '\(value)' twice")
            }
            result.append((value, element))
        }
        return result
    }

    /// Keeps the line of `what` (the first read of it).
    private mutating func note(_ node: Node, _ what: String) {
        if lines[what] == nil, let line = node.mark?.line { lines[what] = line }
    }
}

/// A mapping checked against its allowed keys by `YAMLReader.mapping`.
public struct YAMLMapping {
    /// The mapping node itself (for diagnostics about the whole mapping).
    public let node: Node
    private let values: [String: Node]

    init(node: Node, values: [String: Node]) {
        self.node = node
        self.values = values
    }

    /// The value node for `key`, or `nil` when the key is absent.
    public subscript(key: String) -> Node? { values[key] }
}
