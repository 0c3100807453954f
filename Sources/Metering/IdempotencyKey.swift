import BrokerCore

/// An `Idempotency-Key` as the broker keeps it: checked (1 to 255 visible ASCII characters, no
/// spaces), then held only as its keyed hash. A partner may put anything in the key, an ID number
/// included, so the text itself is never stored, logged or echoed.
public struct IdempotencyKey: Sendable, Hashable {
    /// `PersonKeyHasher.idempotencyKeyHash` of the key: 64 lowercase hex digits, what
    /// `idempotency_keys.key` holds.
    public let digest: String

    /// - Throws: `MeteringInputError` on field `Idempotency-Key` when the text is empty, longer than
    ///   255 bytes or holds anything but visible ASCII.
    public init(_ text: String, hasher: PersonKeyHasher) throws(MeteringInputError) {
        try MeteringInputError.checkText(text, "Idempotency-Key", maximum: 255)
        guard text.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw MeteringInputError(field: "Idempotency-Key", reason: "must be visible ASCII characters without spaces")
        }
        digest = hasher.idempotencyKeyHash(text)
    }
}
