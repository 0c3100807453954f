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
        guard var text else {
            bytes.append(contentsOf: #"\N"#.utf8)
            return
        }
        text.withUTF8 { utf8 in
            // Runs of bytes that need no escape are appended whole.
            var runStart = 0
            for index in utf8.indices {
                let escaped: UInt8
                switch utf8[index] {
                case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
                case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
                case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
                case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
                default: continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(escaped)
                runStart = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
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
