/// A CSV file (`CSV.records`) with a header row, then records of the same width.
///
/// Fields may be quoted with `"`, a quoted field may hold commas, line breaks and `""` (one
/// quote); lines end with LF or CRLF; blank lines are skipped. The caller reads the file.
public struct CSVTable: Sendable {
    public let header: [String]
    /// Records in file order, each `header.count` fields wide.
    public let rows: [[String]]
    /// The 1-based line each record starts on, for error messages.
    public let lines: [Int]

    public init(header: [String], rows: [[String]], lines: [Int]) {
        self.header = header
        self.rows = rows
        self.lines = lines
    }

    /// Parses `text`, reporting the line of the first malformed record.
    public init(parsing text: String) throws(CSVError) {
        var records = try CSV.records(in: text)
        guard !records.isEmpty else { throw CSVError(line: 1, message: "the file has no header row") }
        let header = records.removeFirst().fields
        if let empty = header.firstIndex(where: \.isEmpty) {
            throw CSVError(line: 1, message: "header column \(empty + 1) has no name")
        }
        var seen: Set<String> = []
        if let twice = header.first(where: { !seen.insert($0).inserted }) {
            throw CSVError(line: 1, message: "header column \(twice) appears twice")
        }
        for record in records where record.fields.count != header.count {
            throw CSVError(line: record.line, message: "expected \(header.count) fields, found \(record.fields.count)")
        }
        self.init(header: header, rows: records.map(\.fields), lines: records.map(\.line))
    }

    /// The index of column `name`.
    public func column(named name: String) throws(CSVError) -> Int {
        guard let index = header.firstIndex(of: name) else {
            throw CSVError(line: 1, message: "no column \(name) in the header")
        }
        return index
    }

    /// The table as CSV text (`CSV.text`), LF line ends.
    public var text: String { CSV.text(header: header, rows: rows) }
}
