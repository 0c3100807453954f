extension Sequence<UInt8> {
    /// Two lowercase hex digits per byte.
    var lowercaseHex: String {
        var text = ""
        for byte in self {
            text.append(Self.digits[Int(byte >> 4)])
            text.append(Self.digits[Int(byte & 0x0f)])
        }
        return text
    }

    private static var digits: [Character] { Array("0123456789abcdef") }
}
