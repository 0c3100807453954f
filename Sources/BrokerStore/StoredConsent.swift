import BrokerCore
import Foundation

/// A consent as its partner's store holds it: the domain `Consent` plus what only the store knows.
public struct StoredConsent: Sendable, Hashable {
    /// Where a consent stands at one instant.
    public enum Status: String, Sendable, Hashable {
        case active
        case revoked
        /// Before its `validFrom`.
        case notYetValid = "not_yet_valid"
        /// At or after its `validTo`.
        case expired
        /// Its uses are used up.
        case exhausted
    }

    public let consent: Consent
    public let partnerID: String
    /// The subject's identifier as masked when the consent was registered (never the clear number).
    public let maskedSubject: String
    public let createdAt: Date
    public let revokedAt: Date?

    /// The consent's status at `instant`; revocation first, then validity, then uses.
    public func status(at instant: Date) -> Status {
        if revokedAt != nil { return .revoked }
        if instant < consent.validFrom { return .notYetValid }
        if instant >= consent.validTo { return .expired }
        if consent.useLimit.isExhausted(after: consent.usesSoFar) { return .exhausted }
        return .active
    }
}
