import BrokerCore

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
        text.hasPrefix(prefix) && text.dropFirst(prefix.count).isLowercaseHex(count: 32)
    }
}
