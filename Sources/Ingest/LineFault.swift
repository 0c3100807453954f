/// A fault on one feed line: where it is and why. A rejection when the line was refused (the
/// reject report lists them), a warning when it was loaded as delivered (a USCC whose check
/// character fails).
public struct LineFault: Sendable, Hashable, CustomStringConvertible {
    public let file: String
    /// 1-based line number (for a CSV record spanning lines, its first line).
    public let line: Int
    /// `item`, `subject`, `fields.amount`, …; empty when the line as a whole is at fault.
    public let field: String
    /// The rule the line broke, or what is wrong with the value. Never the value itself: a value
    /// may be a personal identifier.
    public let reason: String

    public init(file: String, line: Int, field: String, reason: String) {
        self.file = file
        self.line = line
        self.field = field
        self.reason = reason
    }

    public var description: String {
        "\(file):\(line): " + (field.isEmpty ? "" : "\(field): ") + reason
    }
}
