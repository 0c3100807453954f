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
