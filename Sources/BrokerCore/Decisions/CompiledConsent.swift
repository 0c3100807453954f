import Foundation

/// A consent reduced to bit sets over one `DecisionEngine`'s purposes, items and categories.
///
/// Compile once and pass it to `DecisionEngine.decide(_:consent:)` for every request that relies on
/// the same consent; valid only with the engine that compiled it.
public struct CompiledConsent: Sendable {
    let subject: String
    let validFrom: Date
    let validTo: Date
    let revoked: Bool
    let exhausted: Bool
    let purposes: UInt64
    let items: [UInt64]
    let categories: [UInt64]

    init(_ consent: Consent, purposes: UInt64, items: [UInt64], categories: [UInt64]) {
        subject = consent.subject
        validFrom = consent.validFrom
        validTo = consent.validTo
        revoked = consent.revoked
        exhausted = consent.useLimit.isExhausted(after: consent.usesSoFar)
        self.purposes = purposes
        self.items = items
        self.categories = categories
    }

    /// Why the consent cannot serve `request` for any item (revoked or another subject's, outside its
    /// validity, used up), or `nil` when it can.
    func problem(for request: DecisionRequest) -> WithholdReason? {
        guard !revoked, subject == request.subject else { return .consentMissing }
        guard validFrom <= request.at && request.at < validTo else { return .consentExpired }
        guard !exhausted else { return .consentExhausted }
        return nil
    }

    /// Whether the consent names item `index`.
    func names(item index: Int) -> Bool { Self.contains(index, in: items) }

    /// Whether the consent names category `index` (`-1` for an item without a category).
    func names(category index: Int) -> Bool { Self.contains(index, in: categories) }

    private static func contains(_ index: Int, in bits: [UInt64]) -> Bool {
        index >= 0 && bits[index >> 6] & (1 << UInt64(index & 63)) != 0
    }
}
