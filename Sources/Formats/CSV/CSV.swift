/// The broker's one CSV reader and writer (RFC 4180): feed files, reject reports, scorecard
/// training data, the console's tables, statements and usage exports all read and write their
/// fields through it.
///
/// A field is quoted with `"` when it holds a comma, a quote or a line break, a quote inside it
/// doubled; a record is one line, or several when a quoted field holds line breaks. `CSVTable`
/// reads a whole file with a header.
public enum CSV {
    /// A record that is not well-formed CSV: the 1-based field at fault and why.
    public struct SyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
        public let field: Int
        public let reason: String

        public init(field: Int, reason: String) {
            self.field = field
            self.reason = reason
        }

        public var description: String { "\(reason) (field \(field))" }
    }

    // MARK: Reading

    /// Whether `bytes` (one or more physical lines joined by `\n`) leaves a quoted field open, so
    /// that the record continues on the next line.
    /// A quote opens a quoted field only at the field's start (elsewhere `fields(of:)` refuses it).
    public static func hasOpenQuote(_ bytes: some Sequence<UInt8>) -> Bool {
        var quoted = false, fieldStart = true, closing = false
        for byte in bytes {
            if quoted {
                if closing {
                    // A quote after a quote is an escaped quote; anything else follows a closed field.
                    closing = false
                    if byte != quote { quoted = false } else { continue }
                } else {
                    if byte == quote { closing = true }
                    continue
                }
            }
            if byte == comma {
                fieldStart = true
            } else {
                if byte == quote, fieldStart { quoted = true }
                fieldStart = false
            }
        }
        return quoted && !closing
    }

    /// The fields of one complete record (without its line end).
    public static func fields(of bytes: some Collection<UInt8>) throws(SyntaxError) -> [String] {
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var fieldStart = true
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            index = bytes.index(after: index)
            if quoted {
                if byte == quote {
                    if index != bytes.endIndex, bytes[index] == quote {
                        field.append(byte)
                        index = bytes.index(after: index)
                    } else {
                        quoted = false
                        guard index == bytes.endIndex || bytes[index] == comma else {
                            throw SyntaxError(field: fields.count + 1, reason: "text after a closing quote")
                        }
                    }
                } else {
                    field.append(byte)
                }
            } else if byte == comma {
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
                fieldStart = true
                continue
            } else if byte == quote {
                guard fieldStart else { throw SyntaxError(field: fields.count + 1, reason: "a quote inside an unquoted field") }
                quoted = true
            } else {
                field.append(byte)
            }
            fieldStart = false
        }
        guard !quoted else { throw SyntaxError(field: fields.count + 1, reason: "a quoted field is not closed") }
        fields.append(String(decoding: field, as: UTF8.self))
        return fields
    }

    /// Every record of `text` with the 1-based line it starts on; lines end with LF or CRLF, blank
    /// lines are skipped, a quoted field may span lines (its line breaks read as LF). A byte order
    /// mark opening the text (Excel's "CSV UTF-8" writes one) is skipped.
    public static func records(in text: String) throws(CSVError) -> [(fields: [String], line: Int)] {
        var records: [(fields: [String], line: Int)] = []
        var pending: [UInt8] = []
        var pendingLine = 0
        var line = 0
        let bytes = Array(text.utf8)
        var start = bytes.starts(with: byteOrderMark) ? byteOrderMark.count : 0
        while start < bytes.count {
            line += 1
            var end = start
            while end < bytes.count, bytes[end] != lf { end += 1 }
            var physical = bytes[start..<end]
            start = end + 1
            if physical.last == cr { physical = physical.dropLast() }
            if pending.isEmpty {
                guard !physical.isEmpty else { continue }
                pendingLine = line
                pending.append(contentsOf: physical)
            } else {
                pending.append(lf)
                pending.append(contentsOf: physical)
            }
            guard !hasOpenQuote(pending) else { continue }
            do {
                records.append((try fields(of: pending), pendingLine))
            } catch {
                throw CSVError(line: pendingLine, message: error.description)
            }
            pending.removeAll(keepingCapacity: true)
        }
        if !pending.isEmpty { throw CSVError(line: pendingLine, message: "a quoted field is not closed") }
        return records
    }

    // MARK: Writing

    /// Appends `text` as one field: as it is, or quoted (quotes doubled) when it holds a comma, a
    /// quote or a line break. With `guardingFormulas`, a text a spreadsheet would take for a formula
    /// (`=`, `+`, `-` or `@` first, and not a number) is prefixed with `'`, for files opened in one.
    public static func appendField(_ text: some StringProtocol, to buffer: inout [UInt8], guardingFormulas: Bool = false) {
        let utf8 = text.utf8
        let guarded = guardingFormulas && utf8.first.map(formulaStarts.contains) == true && !isNumber(utf8)
        guard utf8.contains(where: { $0 == comma || $0 == quote || $0 == lf || $0 == cr }) else {
            if guarded { buffer.append(UInt8(ascii: "'")) }
            buffer.append(contentsOf: utf8)
            return
        }
        buffer.append(quote)
        if guarded { buffer.append(UInt8(ascii: "'")) }
        for byte in utf8 {
            if byte == quote { buffer.append(quote) }
            buffer.append(byte)
        }
        buffer.append(quote)
    }

    /// Appends one record: the fields separated by commas, then `terminator`.
    public static func appendRecord(
        _ fields: some Sequence<String>, to buffer: inout [UInt8], guardingFormulas: Bool = false, terminator: String = "\n"
    ) {
        var first = true
        for field in fields {
            if !first { buffer.append(comma) }
            first = false
            appendField(field, to: &buffer, guardingFormulas: guardingFormulas)
        }
        buffer.append(contentsOf: terminator.utf8)
    }

    /// A header and rows as CSV text, each record ended by `terminator`.
    public static func text(header: [String], rows: [[String]], guardingFormulas: Bool = false, terminator: String = "\n") -> String {
        var buffer: [UInt8] = []
        for record in [header] + rows {
            appendRecord(record, to: &buffer, guardingFormulas: guardingFormulas, terminator: terminator)
        }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// The UTF-8 byte order mark, EF BB BF: what opens a file that says it is UTF-8.
    public static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    private static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
    private static let formulaStarts: [UInt8] = [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@")]

    /// Whether `utf8` is a plain decimal number (`-12`, `+3.5`): a spreadsheet reads it as one, not as a formula.
    private static func isNumber(_ utf8: some Collection<UInt8>) -> Bool {
        var digits = 0, points = 0
        for (offset, byte) in utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
            case UInt8(ascii: "."): points += 1
            case UInt8(ascii: "-"), UInt8(ascii: "+"): guard offset == 0 else { return false }
            default: return false
            }
        }
        return digits > 0 && points <= 1
    }
}
