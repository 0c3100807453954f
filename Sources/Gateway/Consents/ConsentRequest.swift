import BrokerCore
import Formats
import Foundation

/// The body of `POST /v1/consents`, checked field by field against the catalog and the purposes.
///
/// `{"subject": USCC or resident ID number, "purposes": [id…], "items": [id…], "categories": [id…],
/// "valid_from": time?, "valid_to": time, "use_limit": "once" | "unlimited" | n, "document_digest": hex}`
///
/// A time is a day `YYYY-MM-DD` (China time; `valid_from` from its start, `valid_to` to its end, both
/// inclusive) or an RFC 3339 instant (`valid_to` exclusive), read strictly: `T25:00` or 30 February is
/// refused, not rolled over. `valid_from` defaults to now. The consent's validity must lie within the
/// partner's contract term (`term`): nothing from before it starts or after it ends. At least one of
/// `items` and `categories` must name something. The subject never appears in a problem.
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

    init(json: some Collection<UInt8>, engine: DecisionEngine, catalog: Catalog, term: Contract.Term, now: Date = Date()) throws(Problem) {
        let body = try RequestBody(json)
        subject = try body.subject(today: CivilDate(now))
        guard let purposes = try body.strings("purposes", of: "purpose ids"), !purposes.isEmpty else {
            throw .invalidRequest("purposes", "purposes must name at least one purpose.")
        }
        self.purposes = try Self.checked(purposes, field: "purposes", kind: "a purpose in the purpose catalog") { engine.purpose($0) != nil }
        items = try Self.checked(body.strings("items", of: "item ids") ?? [], field: "items", kind: "a catalog item") {
            engine.item($0) != nil
        }
        categories = try Self.checked(body.strings("categories", of: "category ids") ?? [], field: "categories", kind: "a catalog category") {
            catalog.category($0) != nil
        }
        guard !items.isEmpty || !categories.isEmpty else {
            throw .invalidRequest("items", "name at least one item or category the consent covers.")
        }
        validFrom = try body.string("valid_from").map { text throws(Problem) in
            try Self.instant(text, field: "valid_from", endOfDay: false)
        } ?? now
        validTo = try Self.instant(body.string(required: "valid_to"), field: "valid_to", endOfDay: true)
        guard validFrom >= term.from.start() else {
            throw .invalidRequest("valid_from", "valid_from must not be before the partner's contract term, which starts on \(term.from) (China time).")
        }
        guard validTo <= term.to.adding(days: 1).start() else {
            throw .invalidRequest("valid_to", "valid_to must not be after the partner's contract term, which ends with \(term.to) (China time).")
        }
        guard validFrom < validTo else { throw .invalidRequest("valid_to", "valid_to must be after valid_from.") }
        useLimit = try Self.useLimit(body.value("use_limit"))
        documentDigest = try Self.documentDigest(body)
    }

    /// The member `document_digest`: the SHA-256 of a signed authorisation, 64 hex digits (lowercased).
    static func documentDigest(_ body: RequestBody) throws(Problem) -> String {
        guard let digest = try body.string("document_digest")?.lowercased(), digest.isLowercaseHex(count: 64) else {
            throw .invalidRequest("document_digest", "document_digest must be the SHA-256 of the signed authorisation document, 64 hex digits.")
        }
        return digest
    }

    /// `ids` when every one passes `isKnown` and none repeats; else a problem naming the first bad
    /// entry by its index, never by its text.
    private static func checked(_ ids: [String], field: String, kind: String, isKnown: (String) -> Bool) throws(Problem) -> [String] {
        var seen = Set<String>()
        for (index, id) in ids.enumerated() {
            guard isKnown(id) else { throw .invalidRequest("\(field)[\(index)]", "\(field)[\(index)] is not \(kind).") }
            guard seen.insert(id).inserted else {
                throw .invalidRequest("\(field)[\(index)]", "\(field)[\(index)] repeats an entry listed before it; list each once.")
            }
        }
        return ids
    }

    /// The largest `use_limit`: `consents.max_uses` is an `integer` column.
    static let maximumUseLimit = Int(Int32.max)

    /// `"once"`, `"unlimited"` or a whole number from 1 to `maximumUseLimit`.
    private static func useLimit(_ value: JSONValue?) throws(Problem) -> Consent.UseLimit {
        switch value {
        case nil: throw .invalidRequest("use_limit", "use_limit is required.")
        case .string("once")?: return .once
        case .string("unlimited")?: return .unlimited
        case .number(let text)?: if let limit = Int(text), (1...maximumUseLimit).contains(limit) { return .times(limit) }
        default: break
        }
        throw .invalidRequest("use_limit", "use_limit must be \"once\", \"unlimited\" or a whole number from 1 to \(maximumUseLimit).")
    }

    static func instant(_ text: String, field: String, endOfDay: Bool) throws(Problem) -> Date {
        if let day = CivilDate(text) { return (endOfDay ? day.adding(days: 1) : day).start() }
        guard let date = Date(rfc3339: text) else {
            throw .invalidRequest(
                field, "\(field) must be a day YYYY-MM-DD or an RFC 3339 instant (YYYY-MM-DDTHH:MM:SSZ, or with an offset such as +08:00), every field within its range."
            )
        }
        return date
    }
}
