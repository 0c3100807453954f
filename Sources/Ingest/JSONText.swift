/// Renders strings as JSON string literals.
enum JSONText {
    /// `text` as a quoted JSON string.
    static func string(_ text: String) -> String {
        var result = ""
        appendString(text, to: &result)
        return result
    }

    /// Appends `text` as a quoted JSON string, escaping quotes, backslashes and control characters.
    static func appendString(_ text: String, to result: inout String) {
        result += "\""
        var plainStart = text.utf8.startIndex
        var index = plainStart
        let utf8 = text.utf8
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 {
                result += Substring(utf8[plainStart..<index])
                switch byte {
                case UInt8(ascii: "\""): result += "\\\""
                case UInt8(ascii: "\\"): result += "\\\\"
                case 0x0A: result += "\\n"
                case 0x0D: result += "\\r"
                case 0x09: result += "\\t"
                default: result += "\\u00" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
                }
                plainStart = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        result += Substring(utf8[plainStart..<utf8.endIndex])
        result += "\""
    }
}
