import BrokerCore
import BrokerStore
import Foundation

/// A consent as its partner (or, through the portal, its subject) is shown it: the subject masked,
/// uses so far, the status now with its reason code, every change of status and every extension.
struct ConsentView: Encodable {
    /// One change of status.
    struct Change: Encodable {
        let status: String
        let at: String
        /// `registered`, `extended`, or the reason code of the status.
        let event: String
    }

    /// One extension by the partner holding the consent.
    struct Extension: Encodable {
        let extendedAt: String
        let validToBefore: String
        let validTo: String
        let documentDigest: String

        enum CodingKeys: String, CodingKey {
            case extendedAt = "extended_at", validToBefore = "valid_to_before", validTo = "valid_to", documentDigest = "document_digest"
        }
    }

    let id: String
    /// The partner holding the consent, and its public name (the portal's view).
    let partner: String?
    let partnerName: String?
    let subject: String
    let purposes: [String]
    let items: [String]
    let categories: [String]
    let validFrom: String
    let validTo: String
    let useLimit: Consent.UseLimit
    let uses: Int
    let status: String
    let statusReason: String?
    let statusChangedAt: String
    let history: [Change]
    let extensions: [Extension]
    let documentDigest: String
    let createdAt: String
    let revokedAt: String?
    /// Why an administrator revoked it (the admin API's view only; absent elsewhere).
    let revocationNote: String?

    /// - Parameters:
    ///   - holder: the holding partner's public name, shown to the subject (nil: the holder's own view).
    ///   - revocationNote: the administrator's reason, shown to administrators only.
    init(_ stored: StoredConsent, extensions: [ConsentExtension], at instant: Date, holder: String? = nil, revocationNote: String? = nil) {
        let consent = stored.consent
        id = consent.id
        partner = holder == nil ? nil : stored.partnerID
        partnerName = holder
        subject = stored.maskedSubject
        purposes = consent.purposes
        items = consent.items
        categories = consent.categories
        validFrom = consent.validFrom.formatted(.iso8601)
        validTo = consent.validTo.formatted(.iso8601)
        useLimit = consent.useLimit
        uses = consent.usesSoFar
        let status = stored.status(at: instant)
        self.status = status.rawValue
        statusReason = stored.reason(at: instant)?.rawValue
        let changes = stored.history(extensions: extensions, at: instant)
        history = changes.map { Change(status: $0.status.rawValue, at: $0.at.formatted(.iso8601), event: $0.event) }
        statusChangedAt = (changes.last { $0.status == status }?.at ?? stored.createdAt).formatted(.iso8601)
        self.extensions = extensions.map {
            Extension(
                extendedAt: $0.extendedAt.formatted(.iso8601), validToBefore: $0.validToBefore.formatted(.iso8601),
                validTo: $0.validTo.formatted(.iso8601), documentDigest: $0.documentDigest
            )
        }
        documentDigest = consent.documentDigest
        createdAt = stored.createdAt.formatted(.iso8601)
        revokedAt = stored.revokedAt?.formatted(.iso8601)
        self.revocationNote = revocationNote
    }

    enum CodingKeys: String, CodingKey {
        case id, partner, partnerName = "partner_name", subject, purposes, items, categories, uses, status, history, extensions
        case validFrom = "valid_from", validTo = "valid_to", useLimit = "use_limit", documentDigest = "document_digest"
        case statusReason = "status_reason", statusChangedAt = "status_changed_at"
        case createdAt = "created_at", revokedAt = "revoked_at", revocationNote = "revocation_note"
    }
}
