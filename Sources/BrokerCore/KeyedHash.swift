import Crypto

/// HMAC-SHA-256 under one key, as lowercase hex: person keys and partner pseudonyms.
///
/// Keeps the key as bytes because `SymmetricKey` is not `Sendable`.
struct KeyedHash: Sendable {
    private let key: [UInt8]

    init(key: some Collection<UInt8>) {
        self.key = Array(key)
    }

    /// The authentication code of `text`'s UTF-8 bytes: 64 lowercase hex digits.
    func hex(of text: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key)).lowercaseHex
    }
}
