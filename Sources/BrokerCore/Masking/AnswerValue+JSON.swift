/// JSON text (RFC 8259) straight to and from `AnswerValue`, for the records on the query path:
/// several times faster than `JSONDecoder`/`JSONEncoder`, which go through `Codable`'s generic
/// containers for every node.
extension AnswerValue {
    /// Why a JSON text was refused: what was wrong and at which byte offset.
    public struct JSONError: Error, Sendable, Hashable, CustomStringConvertible {
        public let reason: String
        public let offset: Int

        public var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    /// Nesting deeper than this is refused (it would only serve to exhaust the stack).
    public static let maximumJSONDepth = 256

    /// Parses one JSON value; whitespace may surround it, nothing else may follow.
    ///
    /// Integers that fit `Int64` (no fraction, no exponent) become `.int`, other numbers `.decimal`.
    /// Of duplicate keys in an object, the last wins.
    public init(json bytes: UnsafeRawBufferPointer) throws(JSONError) {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        self = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.offset == bytes.count else { throw parser.error("unexpected text after the value") }
    }

    /// Parses one JSON value from UTF-8 text.
    public init(json text: String) throws(JSONError) {
        var text = text
        self = try text.withUTF8 { utf8 in
            Result { () throws(JSONError) in try AnswerValue(json: UnsafeRawBufferPointer(utf8)) }
        }.get()
    }

    /// The value as compact JSON text; object keys in ascending byte order (as `JSONEncoder` with
    /// `.sortedKeys`), slashes unescaped, non-finite numbers as `null`.
    public var json: [UInt8] {
        var bytes: [UInt8] = []
        writeJSON(to: &bytes)
        return bytes
    }

    /// Appends the value as compact JSON text to `bytes` (see `json`).
    public func writeJSON(to bytes: inout [UInt8]) {
        switch self {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let value): bytes.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): bytes.append(contentsOf: String(value).utf8)
        case .decimal(let value): bytes.append(contentsOf: (value.isFinite ? value.description : "null").utf8)
        case .string(let value): Self.writeJSONString(value, to: &bytes)
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                value.writeJSON(to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                Self.writeJSONString(key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                members[key]!.writeJSON(to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `text` as a JSON string: quotes, backslashes and control characters escaped.
    public static func writeJSONString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): bytes.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// A recursive-descent reader over one JSON text.
private struct JSONParser {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    func error(_ reason: String) -> AnswerValue.JSONError {
        AnswerValue.JSONError(reason: reason, offset: offset)
    }

    var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { offset += 1 }
    }

    mutating func expect(_ byte: UInt8) throws(AnswerValue.JSONError) {
        guard current == byte else { throw error("expected '\(Character(UnicodeScalar(byte)))'") }
        offset += 1
    }

    mutating func value(depth: Int) throws(AnswerValue.JSONError) -> AnswerValue {
        guard depth < AnswerValue.maximumJSONDepth else { throw error("nested deeper than \(AnswerValue.maximumJSONDepth)") }
        switch current {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case .some(UInt8(ascii: "-")), .some(UInt8(ascii: "0")...UInt8(ascii: "9")): return try number()
        case nil: throw error("the text ends where a value should start")
        default: throw error("a value cannot start here")
        }
    }

    mutating func object(depth: Int) throws(AnswerValue.JSONError) -> AnswerValue {
        offset += 1
        var members: [String: AnswerValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            offset += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error("expected a member name in quotes") }
            let key = try string()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            members[key] = try value(depth: depth + 1)
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                offset += 1
                return .object(members)
            }
            try expect(UInt8(ascii: ","))
        }
    }

    mutating func array(depth: Int) throws(AnswerValue.JSONError) -> AnswerValue {
        offset += 1
        var values: [AnswerValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            offset += 1
            return .array(values)
        }
        while true {
            skipWhitespace()
            values.append(try value(depth: depth + 1))
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                offset += 1
                return .array(values)
            }
            try expect(UInt8(ascii: ","))
        }
    }

    mutating func literal(_ word: StaticString) throws(AnswerValue.JSONError) {
        let length = word.utf8CodeUnitCount
        guard offset + length <= bytes.count,
              UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length]).elementsEqual(UnsafeRawBufferPointer(start: word.utf8Start, count: length))
        else { throw error("expected \(word)") }
        offset += length
    }

    /// A string, from its opening quote; unescaped runs are copied as they are.
    mutating func string() throws(AnswerValue.JSONError) -> String {
        offset += 1
        var start = offset
        var unescaped: [UInt8] = []
        var escaped = false
        while true {
            guard let byte = current else { throw error("the text ends inside a string") }
            switch byte {
            case UInt8(ascii: "\""):
                let run = UnsafeRawBufferPointer(rebasing: bytes[start..<offset])
                offset += 1
                guard escaped else { return String(decoding: run, as: UTF8.self) }
                unescaped.append(contentsOf: run)
                return String(decoding: unescaped, as: UTF8.self)
            case UInt8(ascii: "\\"):
                escaped = true
                unescaped.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]))
                offset += 1
                try escape(into: &unescaped)
                start = offset
            case 0..<0x20:
                throw error("a control character must be escaped in a string")
            default:
                offset += 1
            }
        }
    }

    /// One escape sequence, after its backslash.
    mutating func escape(into text: inout [UInt8]) throws(AnswerValue.JSONError) {
        guard let byte = current else { throw error("the text ends inside an escape") }
        offset += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(byte)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard current == UInt8(ascii: "\\") else { throw error("a high surrogate must be followed by a low one") }
                offset += 1
                try expect(UInt8(ascii: "u"))
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("a high surrogate must be followed by a low one") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw error("\\u escape of a lone surrogate") }
            text.append(contentsOf: String(Character(unicode)).utf8)
        default:
            offset -= 1
            throw error("unknown escape")
        }
    }

    mutating func hex4() throws(AnswerValue.JSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current else { throw error("the text ends inside a \\u escape") }
            let digit: UInt8 = switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: throw error("a \\u escape needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    mutating func number() throws(AnswerValue.JSONError) -> AnswerValue {
        let start = offset
        if current == UInt8(ascii: "-") { offset += 1 }
        guard let first = current, isDigit(first) else { throw error("a digit must follow '-'") }
        offset += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        var integral = true
        if current == UInt8(ascii: ".") {
            integral = false
            offset += 1
            guard let byte = current, isDigit(byte) else { throw error("a digit must follow the decimal point") }
            skipDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            integral = false
            offset += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
            guard let byte = current, isDigit(byte) else { throw error("a digit must follow the exponent") }
            skipDigits()
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        if integral, let value = Int64(text) { return .int(value) }
        guard let value = Double(text), value.isFinite else {
            offset = start
            throw error("the number is out of range")
        }
        return .decimal(value)
    }

    private func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private mutating func skipDigits() {
        while let byte = current, isDigit(byte) { offset += 1 }
    }
}
