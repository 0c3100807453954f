import Yams

/// Reads one YAML policy file into typed values, collecting located diagnostics instead of stopping at the first.
///
/// Every accessor takes a `what` phrase ("item 'enterprise.penalty' source") used in its messages, and
/// returns `nil` after recording a diagnostic when the value is absent or malformed.
struct PolicyReader {
    /// The file name reported in diagnostics.
    let file: String
    /// Problems found so far.
    private(set) var diagnostics: [PolicyDiagnostic] = []

    init(file: String) {
        self.file = file
    }

    /// Composes `text` into its single root node; a YAML syntax error becomes a diagnostic.
    mutating func root(of text: String) -> Node? {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                fail(nil, "the file is empty")
                return nil
            }
            return node
        } catch let error as YamlError {
            switch error {
            case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
                diagnostics.append(.init(file: file, line: mark.line, message: "malformed YAML: \(problem)"))
            case let .duplicatedKeysInMapping(duplicates, context):
                let keys = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
                diagnostics.append(.init(file: file, line: context.mark.line, message: "duplicate key \(keys) in one mapping"))
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
    mutating func fail(_ node: Node?, _ message: String) {
        diagnostics.append(.init(file: file, line: node?.mark?.line ?? 0, message: message))
    }

    /// Records a problem at `line`, for checks made after the nodes are gone.
    mutating func fail(line: Int, _ message: String) {
        diagnostics.append(.init(file: file, line: line, message: message))
    }

    /// A mapping with a fixed set of keys; unknown keys and missing required keys are reported.
    mutating func mapping(_ node: Node, _ what: String, required: [String] = [], optional: [String] = []) -> PolicyMapping? {
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
        return PolicyMapping(node: node, values: values)
    }

    /// A mapping whose keys are names chosen by the author (item ids, profile names), in file order.
    mutating func entries(_ node: Node, _ what: String) -> [(key: String, keyNode: Node, value: Node)]? {
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
    mutating func sequence(_ node: Node, _ what: String) -> [Node]? {
        guard let sequence = node.sequence else {
            fail(node, "\(what) must be a list")
            return nil
        }
        return Array(sequence)
    }

    /// A non-empty scalar string; `nil` without a diagnostic when `node` is `nil` (an absent optional key).
    mutating func string(_ node: Node?, _ what: String) -> String? {
        guard let node else { return nil }
        guard let scalar = node.scalar else {
            fail(node, "\(what) must be a single value, not a list or mapping")
            return nil
        }
        let isNull = scalar.style == .plain && ["~", "null", "Null", "NULL"].contains(scalar.string)
        guard !scalar.string.isEmpty, !isNull else {
            fail(node, "\(what) must not be empty")
            return nil
        }
        return scalar.string
    }

    /// A decimal integer within `range`.
    mutating func int(_ node: Node?, _ what: String, in range: ClosedRange<Int> = 0...Int.max) -> Int? {
        guard let text = string(node, what) else { return nil }
        guard let value = Int(text.replacingOccurrences(of: "_", with: "")), range.contains(value) else {
            let bounds = range.upperBound == .max ? "at least \(range.lowerBound)" : "in \(range.lowerBound)...\(range.upperBound)"
            fail(node, "\(what) must be a whole number \(bounds), not '\(text)'")
            return nil
        }
        return value
    }

    /// A non-negative decimal number.
    mutating func decimal(_ node: Node?, _ what: String) -> Double? {
        guard let text = string(node, what) else { return nil }
        guard let value = Double(text), value.isFinite, value >= 0 else {
            fail(node, "\(what) must be a non-negative number, not '\(text)'")
            return nil
        }
        return value
    }

    /// `true` or `false`.
    mutating func bool(_ node: Node?, _ what: String) -> Bool? {
        guard let text = string(node, what) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default:
            fail(node, "\(what) must be true or false, not '\(text)'")
            return nil
        }
    }

    /// A calendar day written `YYYY-MM-DD`.
    mutating func date(_ node: Node?, _ what: String) -> CivilDate? {
        guard let text = string(node, what) else { return nil }
        guard let date = CivilDate(text) else {
            fail(node, "\(what) must be a real date YYYY-MM-DD, not '\(text)'")
            return nil
        }
        return date
    }

    /// An ISO 8601 date period such as `P3M` or `P1Y`.
    mutating func period(_ node: Node?, _ what: String) -> DatePeriod? {
        guard let text = string(node, what) else { return nil }
        guard let period = DatePeriod(text) else {
            fail(node, "\(what) must be an ISO 8601 period such as P3M or P1Y, not '\(text)'")
            return nil
        }
        return period
    }

    /// One of an enumeration's raw values.
    mutating func choice<Value: RawRepresentable & CaseIterable>(_ node: Node?, _ what: String, as type: Value.Type) -> Value?
    where Value.RawValue == String {
        guard let text = string(node, what) else { return nil }
        guard let value = Value(rawValue: text) else {
            let allowed = Value.allCases.map(\.rawValue).joined(separator: ", ")
            fail(node, "\(what) must be one of \(allowed), not '\(text)'")
            return nil
        }
        return value
    }

    /// A list of strings, each with its node (for later name checks at the right line); duplicates are reported.
    mutating func strings(_ node: Node?, _ what: String) -> [(value: String, node: Node)]? {
        guard let node, let elements = sequence(node, what) else { return nil }
        var seen = Set<String>()
        var result: [(value: String, node: Node)] = []
        for element in elements {
            guard let value = string(element, "each of \(what)") else { continue }
            if !seen.insert(value).inserted {
                fail(element, "\(what) lists '\(value)' twice")
            }
            result.append((value, element))
        }
        return result
    }
}

/// A mapping checked against its allowed keys by `PolicyReader.mapping`.
struct PolicyMapping {
    /// The mapping node itself (for diagnostics about the whole mapping).
    let node: Node
    private let values: [String: Node]

    init(node: Node, values: [String: Node]) {
        self.node = node
        self.values = values
    }

    /// The value node for `key`, or `nil` when the key is absent.
    subscript(key: String) -> Node? { values[key] }
}
