import BrokerCore
import BrokerStore
import Foundation

/// A consent as its partner is shown it: the subject masked, uses so far and the status now.
struct ConsentView: Encodable {
    let id: String
    let subject: String
    let purposes: [String]
    let items: [String]
    let categories: [String]
    let validFrom: String
    let validTo: String
    let useLimit: Consent.UseLimit
    let uses: Int
    let status: String
    let documentDigest: String
    let createdAt: String
    let revokedAt: String?

    init(_ stored: StoredConsent, at instant: Date = Date()) {
        let consent = stored.consent
        id = consent.id
        subject = stored.maskedSubject
        purposes = consent.purposes
        items = consent.items
        categories = consent.categories
        validFrom = consent.validFrom.formatted(.iso8601)
        validTo = consent.validTo.formatted(.iso8601)
        useLimit = consent.useLimit
        uses = consent.usesSoFar
        status = stored.status(at: instant).rawValue
        documentDigest = consent.documentDigest
        createdAt = stored.createdAt.formatted(.iso8601)
        revokedAt = stored.revokedAt?.formatted(.iso8601)
    }

    enum CodingKeys: String, CodingKey {
        case id, subject, purposes, items, categories, uses, status
        case validFrom = "valid_from", validTo = "valid_to", useLimit = "use_limit", documentDigest = "document_digest"
        case createdAt = "created_at", revokedAt = "revoked_at"
    }
}
