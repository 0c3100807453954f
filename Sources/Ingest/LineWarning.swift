/// A data-quality fault on an accepted feed line (a USCC whose check character fails): the line
/// is loaded as delivered, and the warning says where and why.
public struct LineWarning: Sendable, Hashable, CustomStringConvertible {
    public let file: String
    /// 1-based line number (for a CSV record spanning lines, its first line).
    public let line: Int
    /// `subject`, `fields.registrant`, …: the value at fault.
    public let field: String
    /// What is wrong with the value. Never the value itself: a value may be a personal identifier.
    public let reason: String

    public init(file: String, line: Int, field: String, reason: String) {
        self.file = file
        self.line = line
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(file):\(line): \(field): \(reason)" }
}
