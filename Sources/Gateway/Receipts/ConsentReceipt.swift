import BrokerCore
import BrokerStore
import Foundation
import Hummingbird

/// A consent receipt: who consented to whom, for which purposes, which items, for how long and how
/// often, in the fields of the Kantara Initiative's Consent Receipt Specification (v1.1), snake_case.
/// The body is signed like a disclosure receipt (`Broker-Receipt`, kind `consent`), so that the
/// subject, holding the saved response, can prove it offline with `credit-broker receipts verify`.
struct ConsentReceipt: Encodable {
    /// The controller the consent was given to: the partner that holds it.
    struct Controller: Encodable {
        let piiController: String
        let partner: String

        enum CodingKeys: String, CodingKey { case piiController = "pii_controller", partner }
    }

    /// One purpose of the one service (sharing credit data through the broker).
    struct Purpose: Encodable {
        let purpose: String
        let purposeTitle: String
        let consentType = "EXPLICIT"
        /// The items and categories the consent covers.
        let piiCategory: [String]
        /// When the consent ends: its `valid_to`.
        let termination: String
        let thirdPartyDisclosure = true
        let thirdPartyName: String

        enum CodingKeys: String, CodingKey {
            case purpose, purposeTitle = "purpose_title", consentType = "consent_type", piiCategory = "pii_category", termination
            case thirdPartyDisclosure = "third_party_disclosure", thirdPartyName = "third_party_name"
        }
    }

    struct Service: Encodable {
        let service = "信易贷 credit data sharing through CreditBroker"
        let purposes: [Purpose]
    }

    struct Term: Encodable {
        let from: String
        let to: String
    }

    struct Uses: Encodable {
        let limit: Consent.UseLimit
        let used: Int
    }

    let version = "KI-CR-v1.1.0"
    let jurisdiction = "CN"
    /// Unique per receipt: the id of the request that issued it.
    let consentReceiptID: String
    let consentID: String
    /// When the consent was registered.
    let consentTimestamp: String
    let collectionMethod = "signed authorisation (授权书) registered by the partner; SHA-256 in document_digest"
    let documentDigest: String
    /// The subject as the consent records it: the USCC, or the ID number masked.
    let piiPrincipalID: String
    let piiControllers: [Controller]
    let services: [Service]
    let items: [String]
    let categories: [String]
    let term: Term
    let uses: Uses
    let status: String
    let statusReason: String?
    let issuedAt: String

    init(_ stored: StoredConsent, holderName: String, purposeTitles: [String: String], requestID: String, at instant: Date) {
        let consent = stored.consent
        consentReceiptID = requestID
        consentID = consent.id
        consentTimestamp = stored.createdAt.formatted(.iso8601)
        documentDigest = consent.documentDigest
        piiPrincipalID = stored.maskedSubject
        piiControllers = [Controller(piiController: holderName, partner: stored.partnerID)]
        services = [Service(purposes: consent.purposes.map {
            Purpose(
                purpose: $0, purposeTitle: purposeTitles[$0] ?? $0, piiCategory: consent.items + consent.categories,
                termination: consent.validTo.formatted(.iso8601), thirdPartyName: holderName
            )
        })]
        items = consent.items
        categories = consent.categories
        term = Term(from: consent.validFrom.formatted(.iso8601), to: consent.validTo.formatted(.iso8601))
        uses = Uses(limit: consent.useLimit, used: consent.usesSoFar)
        status = stored.status(at: instant).rawValue
        statusReason = stored.reason(at: instant)?.rawValue
        issuedAt = instant.formatted(.iso8601)
    }

    enum CodingKeys: String, CodingKey {
        case version, jurisdiction, consentReceiptID = "consent_receipt_id", consentID = "consent_id"
        case consentTimestamp = "consent_timestamp", collectionMethod = "collection_method", documentDigest = "document_digest"
        case piiPrincipalID = "pii_principal_id", piiControllers = "pii_controllers", services, items, categories, term, uses
        case status, statusReason = "status_reason", issuedAt = "issued_at"
    }

    /// The receipt's answer: its JSON, signed with a `Broker-Receipt` of kind `consent` that names the
    /// consent and no item; metered as the call's `disclosure` about this consent.
    func answer(_ disclosure: Disclosure) throws -> DisclosedAnswer {
        var disclosure = disclosure
        disclosure.consentID = consentID
        disclosure.disclosed = []
        return try DisclosedAnswer(json: self, disclosure: disclosure, kind: .consentReceipt)
    }
}
