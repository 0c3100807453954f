extension Sequence<UInt8> {
    /// The bytes as lowercase hexadecimal, two digits each.
    ///
    /// Written straight into the string's storage (digests and keyed hashes are made hex on every
    /// query: the receipt's body digest, the meter event's subject hash).
    public var lowercaseHex: String {
        let bytes = Array(self)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { text in
            for (index, byte) in bytes.enumerated() {
                text[2 * index] = Self.hexDigit(byte >> 4)
                text[2 * index + 1] = Self.hexDigit(byte & 0x0F)
            }
            return bytes.count * 2
        }
    }

    /// The ASCII lowercase hex digit of `value` (0–15).
    @inline(__always)
    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }
}

extension StringProtocol {
    /// Whether the text is exactly `count` lowercase ASCII hex digits (`0-9`, `a-f`).
    ///
    /// Byte by byte: `Character.isHexDigit` also takes full-width digits and letters (`０-９`, `ａ-ｆ`,
    /// what a Chinese input method types in its full-width mode), which no key or digest ever holds.
    public func isLowercaseHex(count: Int) -> Bool {
        utf8.count == count && utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

extension UInt8 {
    /// The value (0–15) of one ASCII hex digit of either case; `nil` for any other byte.
    public init?(hexDigit byte: UInt8) {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): self = byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): self = byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): self = byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension Array<UInt8> {
    /// The bytes hex text spells, two digits of either case each; `nil` for an odd number of digits
    /// or any other character. The inverse of `lowercaseHex`.
    public init?(hex text: some StringProtocol) {
        let digits = Array(text.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = UInt8(hexDigit: digits[index]), let low = UInt8(hexDigit: digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self = bytes
    }
}
