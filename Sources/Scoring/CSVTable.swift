/// A CSV file parsed per RFC 4180: a header row, then records of the same width.
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
        var text = text
        let parsed = text.withUTF8 { bytes in Result<[Record], CSVError> { () throws(CSVError) in try Self.parse(bytes) } }
        var records = try parsed.get()
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

    private static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

    private typealias Record = (fields: [String], line: Int)

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(CSVError) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var line = 1
        var recordLine = 1
        var index = 0
        let end = bytes.count
        var quotedBytes: [UInt8] = []

        while index < end {
            // At the start of a field.
            if bytes[index] == quote {
                let fieldLine = line
                quotedBytes.removeAll(keepingCapacity: true)
                index += 1
                while true {
                    guard index < end else { throw CSVError(line: fieldLine, message: "quoted field never closed") }
                    let byte = bytes[index]
                    if byte == quote {
                        if index + 1 < end, bytes[index + 1] == quote {
                            quotedBytes.append(quote)
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    if byte == lf { line += 1 }
                    quotedBytes.append(byte)
                    index += 1
                }
                fields.append(String(decoding: quotedBytes, as: UTF8.self))
                if index < end, bytes[index] != comma, bytes[index] != lf, bytes[index] != cr {
                    throw CSVError(line: line, message: "text after a closing quote (field \(fields.count))")
                }
            } else {
                let start = index
                while index < end, bytes[index] != comma, bytes[index] != lf, bytes[index] != cr {
                    if bytes[index] == quote {
                        throw CSVError(line: line, message: "a quote inside an unquoted field (field \(fields.count + 1))")
                    }
                    index += 1
                }
                fields.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
            }
            // After a field: a comma, a line end, or the end of the text.
            if index < end, bytes[index] == comma {
                index += 1
                if index == end { fields.append("") }
                continue
            }
            if index < end, bytes[index] == cr {
                index += 1
                guard index < end, bytes[index] == lf else { throw CSVError(line: line, message: "a carriage return not followed by a line feed") }
            }
            if index < end { index += 1 }
            if !(fields.count == 1 && fields[0].isEmpty) {
                records.append((fields, recordLine))
            }
            fields.removeAll(keepingCapacity: true)
            line += 1
            recordLine = line
        }
        if !fields.isEmpty { records.append((fields, recordLine)) }
        return records
    }
}
