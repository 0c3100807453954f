/// Splits CSV records (RFC 4180) into cells: comma-separated, double-quoted cells may hold commas,
/// line breaks and doubled quotes.
enum CSVRecordParser {
    struct SyntaxError: Error, Hashable {
        /// 1-based cell position.
        let cell: Int
        let reason: String
    }

    /// Whether `bytes` (one or more physical lines joined by `\n`) leaves a quoted cell open,
    /// so that the record continues on the next line.
    static func hasOpenQuote(_ bytes: [UInt8]) -> Bool {
        bytes.reduce(false) { open, byte in byte == UInt8(ascii: "\"") ? !open : open }
    }

    /// The cells of one complete record.
    static func cells(of bytes: [UInt8]) throws(SyntaxError) -> [String] {
        var cells: [String] = []
        var cell: [UInt8] = []
        var position = 0
        var quoted = false
        var cellStart = true
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if position < bytes.count, bytes[position] == UInt8(ascii: "\"") {
                        cell.append(byte)
                        position += 1
                    } else {
                        quoted = false
                        guard position == bytes.count || bytes[position] == UInt8(ascii: ",") else {
                            throw SyntaxError(cell: cells.count + 1, reason: "a closing quote must end its cell")
                        }
                    }
                } else {
                    cell.append(byte)
                }
            } else if byte == UInt8(ascii: ",") {
                cells.append(String(decoding: cell, as: UTF8.self))
                cell.removeAll(keepingCapacity: true)
                cellStart = true
                continue
            } else if byte == UInt8(ascii: "\"") {
                guard cellStart else {
                    throw SyntaxError(cell: cells.count + 1, reason: "a quote inside an unquoted cell")
                }
                quoted = true
            } else {
                cell.append(byte)
            }
            cellStart = false
        }
        guard !quoted else { throw SyntaxError(cell: cells.count + 1, reason: "a quoted cell is not closed") }
        cells.append(String(decoding: cell, as: UTF8.self))
        return cells
    }
}
