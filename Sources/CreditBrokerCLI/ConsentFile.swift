import BrokerCore
import Foundation

/// A consent read from a file by `contracts explain --consent`: as `GET /v1/consents/{id}` answers
/// it (`uses`, `status`), or in the decision engine's own shape (`uses_so_far`, `revoked`).
///
/// Either shape's other members (`created_at`, `revoked_at`) are ignored; a consent whose
/// `status` is `revoked` is revoked, any other status is recomputed from the dates and uses.
struct ConsentFile: Decodable {
    let consent: Consent

    private enum Key: String, CodingKey {
        case id, subject, purposes, items, categories, uses, status, revoked
        case validFrom = "valid_from", validTo = "valid_to", useLimit = "use_limit", usesSoFar = "uses_so_far"
        case documentDigest = "document_digest"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        // Without either member, the error names the API's.
        func missing(_ key: Key) -> DecodingError {
            .keyNotFound(key, .init(codingPath: decoder.codingPath, debugDescription: "\(key.stringValue) is missing"))
        }
        guard let uses = try container.decodeIfPresent(Int.self, forKey: .uses) ?? container.decodeIfPresent(Int.self, forKey: .usesSoFar)
        else { throw missing(.uses) }
        guard let revoked = try container.decodeIfPresent(String.self, forKey: .status).map({ $0 == "revoked" })
            ?? container.decodeIfPresent(Bool.self, forKey: .revoked)
        else { throw missing(.status) }
        consent = Consent(
            id: try container.decode(String.self, forKey: .id), subject: try container.decode(String.self, forKey: .subject),
            purposes: try container.decode([String].self, forKey: .purposes), items: try container.decode([String].self, forKey: .items),
            categories: try container.decode([String].self, forKey: .categories),
            validFrom: try container.decode(Date.self, forKey: .validFrom), validTo: try container.decode(Date.self, forKey: .validTo),
            useLimit: try container.decode(Consent.UseLimit.self, forKey: .useLimit), usesSoFar: uses, revoked: revoked,
            documentDigest: try container.decode(String.self, forKey: .documentDigest)
        )
    }
}
