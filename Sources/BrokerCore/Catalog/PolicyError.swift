import Formats

/// Every problem found while loading one or more policy files.
public struct PolicyError: Error, Sendable, CustomStringConvertible {
    /// All diagnostics, in file then line order.
    public let diagnostics: [YAMLDiagnostic]

    public init(_ diagnostics: [YAMLDiagnostic]) {
        self.diagnostics = diagnostics.sorted { ($0.file, $0.line) < ($1.file, $1.line) }
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
