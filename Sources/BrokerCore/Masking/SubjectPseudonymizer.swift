import Crypto
import Foundation

/// Partner-specific pseudonymous references to subjects.
///
/// The reference is HMAC-SHA-256 of the subject key under a key derived for the partner from the
/// server secret (HKDF-SHA-256), so one partner's references cannot be joined with another's, and
/// none can be reversed without the server secret.
public struct SubjectPseudonymizer: Sendable {
    /// The partner whose references this produces.
    public let partnerID: String
    private let hash: KeyedHash

    /// Domain separation for the derivation; changing it changes every reference.
    static let salt = Data("CreditBroker subject reference v1".utf8)

    /// Derives the partner's key from the server secret (at least 32 bytes of randomness).
    public init(serverSecret: SymmetricKey, partnerID: String) {
        self.partnerID = partnerID
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: serverSecret, salt: Self.salt, info: Data(partnerID.utf8), outputByteCount: 32
        )
        self.hash = derived.withUnsafeBytes { KeyedHash(key: $0) }
    }

    /// The partner's reference for the subject with this key (USCC or keyed ID hash): 64 lowercase hex digits.
    public func reference(forSubject subjectKey: String) -> String {
        hash.hex(of: subjectKey)
    }

    /// Whether `text` has the form of a reference (64 lowercase hex digits), whoever's it is.
    public static func isReference(_ text: some StringProtocol) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
