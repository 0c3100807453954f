/// One problem found in a YAML file, located by file and line.
public struct YAMLDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// The file name the caller passed with the text.
    public let file: String
    /// The 1-based line, or 0 when the problem concerns the file as a whole.
    public let line: Int
    /// What is wrong, in English; never contains a personal identifier.
    public let message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: message`, the format editors and CI annotate.
    public var description: String { "\(file):\(line): \(message)" }
}
