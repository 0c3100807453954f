/// Derives `PersonKey`s from resident ID numbers with a secret supplied by configuration.
///
/// The secret must never be in the repository; rotating it re-keys every person subject.
public struct PersonKeyHasher: Sendable {
    /// Why a secret is refused.
    public enum SecretError: Error, Sendable, Hashable, CustomStringConvertible {
        /// HMAC-SHA-256 keys shorter than the 32-byte hash output weaken the construction.
        case tooShort(bytes: Int)

        public var description: String {
            switch self {
            case .tooShort(let bytes): "the person-key secret must have at least 32 bytes, not \(bytes)"
            }
        }
    }

    private let hash: KeyedHash

    /// - Parameter secret: at least 32 bytes of secret key material.
    public init(secret: some Collection<UInt8>) throws(SecretError) {
        guard secret.count >= 32 else { throw .tooShort(bytes: secret.count) }
        self.hash = KeyedHash(key: secret)
    }

    /// HMAC-SHA-256 of the number's canonical 18 characters.
    public func key(for id: ResidentIDNumber) -> PersonKey {
        // The digits are lower-case hex by construction.
        PersonKey(hex: hash.hex(of: id.rawValue))!
    }

    /// The keyed hash an `Idempotency-Key` is stored under (64 hex digits): a partner may put
    /// anything in the key, an ID number included, so the broker keeps only this. Distinct from the
    /// person key and the meter hash of the same text.
    public func idempotencyKeyHash(_ key: String) -> String {
        hash.hex(of: "idempotency:" + key)
    }

    /// The keyed hash a meter event stores for a subject (its USCC or person-key hex): joinable
    /// within the broker's own ledger, never an identifier, and distinct from the person key.
    public func meterHash(ofSubjectKey subjectKey: String) -> String {
        hash.hex(of: "meter:" + subjectKey)
    }
}
