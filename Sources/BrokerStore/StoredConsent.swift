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
        case usedUp = "used_up"
    }

    /// Why a consent left `active` (the reason code of its status).
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        /// Withdrawn by the subject, through the credit portal.
        case revokedBySubject = "revoked_by_subject"
        /// Revoked by the partner that registered it.
        case revokedByPartner = "revoked_by_partner"
        /// Revoked by a security administrator.
        case revokedByAdmin = "revoked_by_admin"
        /// Its term ended.
        case expired
        /// Its last use was spent.
        case usesExhausted = "uses_exhausted"
    }

    /// One change of status, for the consent's history.
    public struct Change: Sendable, Hashable {
        public let status: Status
        public let at: Date
        /// `nil` for `active` (registered or extended: see `event`).
        public let reason: Reason?
        /// `registered`, `extended`, or the reason code.
        public let event: String
    }

    public let consent: Consent
    public let partnerID: String
    /// The subject's identifier as masked when the consent was registered (never the clear number).
    public let maskedSubject: String
    public let createdAt: Date
    public let revokedAt: Date?
    /// Set with `revokedAt`.
    public let revokedReason: Reason?
    /// When its last use was spent (cleared if that use is given back).
    public let usedUpAt: Date?

    /// The consent's status at `instant`; revocation first, then validity, then uses.
    public func status(at instant: Date) -> Status {
        if revokedAt != nil { return .revoked }
        if instant < consent.validFrom { return .notYetValid }
        if instant >= consent.validTo { return .expired }
        if consent.useLimit.isExhausted(after: consent.usesSoFar) { return .usedUp }
        return .active
    }

    /// The reason code of the status at `instant` (`nil` while active or not yet valid).
    public func reason(at instant: Date) -> Reason? {
        switch status(at: instant) {
        case .revoked: revokedReason ?? .revokedByPartner
        case .expired: .expired
        case .usedUp: .usesExhausted
        case .active, .notYetValid: nil
        }
    }

    /// Every change of status up to `instant`, oldest first: registered, each extension, then
    /// uses used up, expiry and revocation as they happened.
    public func history(extensions: [ConsentExtension], at instant: Date) -> [Change] {
        var changes = [Change(status: instant < consent.validFrom ? .notYetValid : .active, at: createdAt, reason: nil, event: "registered")]
        changes += extensions.map { Change(status: .active, at: $0.extendedAt, reason: nil, event: "extended") }
        var ends: [Change] = []
        if let usedUpAt, usedUpAt <= instant { ends.append(Change(status: .usedUp, at: usedUpAt, reason: .usesExhausted, event: Reason.usesExhausted.rawValue)) }
        if consent.validTo <= instant { ends.append(Change(status: .expired, at: consent.validTo, reason: .expired, event: Reason.expired.rawValue)) }
        if let revokedAt {
            let reason = revokedReason ?? .revokedByPartner
            ends.append(Change(status: .revoked, at: revokedAt, reason: reason, event: reason.rawValue))
        }
        return changes + ends.sorted { $0.at < $1.at }
    }
}

/// One extension of a consent by the partner holding it.
public struct ConsentExtension: Sendable, Hashable {
    public let consentID: String
    public let extendedAt: Date
    public let validToBefore: Date
    public let validTo: Date
    /// SHA-256 (hex) of the subject's renewed authorisation.
    public let documentDigest: String
}
