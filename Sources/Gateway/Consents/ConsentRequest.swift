import BrokerCore
import Foundation

/// The body of `POST /v1/consents`, checked field by field against the catalog and the purposes.
///
/// `{"subject": USCC or resident ID number, "purposes": [id…], "items": [id…], "categories": [id…],
/// "valid_from": time?, "valid_to": time, "use_limit": "once" | "unlimited" | n, "document_digest": hex}`
///
/// A time is a day `YYYY-MM-DD` (China time; `valid_from` from its start, `valid_to` to its end, both
/// inclusive) or an ISO 8601 instant (`valid_to` exclusive); `valid_from` defaults to now. At least one
/// of `items` and `categories` must name something. The subject never appears in a problem.
struct ConsentRequest: Sendable {
    let subject: SubjectIdentifier
    let purposes: [String]
    let items: [String]
    let categories: [String]
    let validFrom: Date
    let validTo: Date
    let useLimit: Consent.UseLimit
    /// Lowercase hex SHA-256 of the signed authorisation document.
    let documentDigest: String

    /// A field whose value may have the wrong shape: decoding it never fails the whole body.
    private struct Lenient<Value: Decodable>: Decodable {
        let value: Value?

        init(from decoder: any Decoder) throws {
            value = try? Value(from: decoder)
        }
    }

    private struct Body: Decodable {
        let subject: String?
        let purposes: [String]?
        let items: [String]?
        let categories: [String]?
        let validFrom: String?
        let validTo: String?
        let useLimit: Lenient<Consent.UseLimit>?
        let documentDigest: String?

        enum CodingKeys: String, CodingKey {
            case subject, purposes, items, categories
            case validFrom = "valid_from", validTo = "valid_to", useLimit = "use_limit", documentDigest = "document_digest"
        }
    }

    init(json: Data, engine: DecisionEngine, catalog: Catalog, now: Date = Date()) throws(Problem) {
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: json)
        } catch {
            throw Self.invalid("body", "The body is not a JSON object with string fields subject, valid_from, valid_to, document_digest and arrays purposes, items, categories.")
        }
        guard let subjectText = body.subject, !subjectText.isEmpty else { throw Self.invalid("subject", "subject is required.") }
        do {
            subject = try SubjectIdentifier(subjectText, today: CivilDate(now))
        } catch {
            throw Self.invalid("subject", "subject is neither a valid unified social credit code nor a valid resident ID number.")
        }
        guard let purposes = body.purposes, !purposes.isEmpty else {
            throw Self.invalid("purposes", "purposes must name at least one purpose.")
        }
        self.purposes = try Self.checked(purposes, field: "purposes", kind: "a purpose in the purpose catalog") { engine.purpose($0) != nil }
        items = try Self.checked(body.items ?? [], field: "items", kind: "a catalog item") { engine.item($0) != nil }
        categories = try Self.checked(body.categories ?? [], field: "categories", kind: "a catalog category") { catalog.category($0) != nil }
        guard !items.isEmpty || !categories.isEmpty else {
            throw Self.invalid("items", "name at least one item or category the consent covers.")
        }
        validFrom = try body.validFrom.map { text throws(Problem) in try Self.instant(text, field: "valid_from", endOfDay: false) } ?? now
        guard let validToText = body.validTo else { throw Self.invalid("valid_to", "valid_to is required.") }
        validTo = try Self.instant(validToText, field: "valid_to", endOfDay: true)
        guard validFrom < validTo else { throw Self.invalid("valid_to", "valid_to must be after valid_from.") }
        guard let useLimit = body.useLimit else { throw Self.invalid("use_limit", "use_limit is required.") }
        guard let limit = useLimit.value else {
            throw Self.invalid("use_limit", "use_limit must be \"once\", \"unlimited\" or a positive whole number.")
        }
        self.useLimit = limit
        guard let digest = body.documentDigest?.lowercased(), digest.utf8.count == 64,
              digest.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw Self.invalid("document_digest", "document_digest must be the SHA-256 of the signed authorisation document, 64 hex digits.")
        }
        documentDigest = digest
    }

    /// `ids` when every one passes `isKnown` and none repeats; else a problem naming the first bad entry.
    private static func checked(_ ids: [String], field: String, kind: String, isKnown: (String) -> Bool) throws(Problem) -> [String] {
        var seen = Set<String>()
        for (index, id) in ids.enumerated() {
            guard isKnown(id) else { throw invalid("\(field)[\(index)]", "'\(id)' is not \(kind).") }
            guard seen.insert(id).inserted else { throw invalid("\(field)[\(index)]", "'\(id)' is listed twice.") }
        }
        return ids
    }

    private static func instant(_ text: String, field: String, endOfDay: Bool) throws(Problem) -> Date {
        if let day = CivilDate(text) { return (endOfDay ? day.adding(days: 1) : day).start() }
        guard let date = try? Date(text, strategy: .iso8601) else {
            throw invalid(field, "\(field) must be a day YYYY-MM-DD or an ISO 8601 instant.")
        }
        return date
    }

    private static func invalid(_ field: String, _ detail: String) -> Problem {
        Problem("invalid-request", title: "Invalid request", status: .badRequest, detail: detail, field: field)
    }
}
