/// Rows in PostgreSQL's `COPY … FROM STDIN` text format: tab-separated, `\N` for NULL,
/// backslash escapes for backslash, tab, newline and carriage return.
public struct CopyTextBuffer: Sendable {
    /// The rows so far, each ending in a line break.
    public private(set) var bytes: [UInt8] = []
    private var columnsInRow = 0

    public init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends a text column (`nil` is NULL).
    public mutating func append(_ text: String?) {
        separate()
        guard let text else {
            bytes.append(contentsOf: #"\N"#.utf8)
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\t"): bytes.append(contentsOf: #"\t"#.utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
            default: bytes.append(byte)
            }
        }
    }

    /// Appends an integer column.
    public mutating func append(_ number: Int) {
        separate()
        bytes.append(contentsOf: String(number).utf8)
    }

    /// Ends the current row.
    public mutating func endRow() {
        bytes.append(UInt8(ascii: "\n"))
        columnsInRow = 0
    }

    private mutating func separate() {
        if columnsInRow > 0 { bytes.append(UInt8(ascii: "\t")) }
        columnsInRow += 1
    }
}
