/// Identifiers of the broker's own resources (consents `cs_…`, disputes `dp_…`): a prefix and 128
/// random bits from the system CSPRNG as 32 lowercase hex digits. Unguessable, so a partner that
/// names one it was never given learns nothing.
public enum RandomIdentifier {
    /// A fresh identifier: `prefix` and 32 lowercase hex digits.
    public static func make(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return prefix + (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }.lowercaseHex
    }

    /// Whether `text` has the shape `make(prefix:)` gives: `prefix` and 32 lowercase hex digits.
    public static func isValid(_ text: some StringProtocol, prefix: String) -> Bool {
        text.utf8.count == prefix.utf8.count + 32 && text.hasPrefix(prefix)
            && text.utf8.dropFirst(prefix.utf8.count).allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
