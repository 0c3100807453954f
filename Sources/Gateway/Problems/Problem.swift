import Foundation
import Hummingbird
import Metering

/// An RFC 9457 problem: thrown by handlers and middleware, answered as `application/problem+json`.
///
/// `type` is a stable URI under `https://credit-broker.example/problems/`; clients switch on it,
/// never on `title` or `detail`. `detail` and `field` never carry a personal identifier.
public struct Problem: HTTPResponseError, Sendable, Encodable {
    /// The stable part of the type URI, e.g. `consent-missing`.
    public let slug: String
    public let title: String
    public let status: HTTPResponse.Status
    public let detail: String
    /// The request field at fault (a JSON path such as `items[2]`), if one is.
    public let field: String?
    /// Extra headers, e.g. `WWW-Authenticate` on a 401.
    public let headers: HTTPFields
    /// Every problem of a document that has several (`line 7: …`), an extension member.
    public let errors: [String]?
    /// Set when the request was hostile rather than clumsy (input no well-behaved client sends, such
    /// as JSON nested past the parser's limit): the kind of abuse, which `AbuseStrikes` counts against
    /// the client's address at the partner listener. Never sent.
    public var abuse: String?

    public static let typeBase = "https://credit-broker.example/problems/"

    public init(
        _ slug: String, title: String, status: HTTPResponse.Status, detail: String, field: String? = nil, headers: HTTPFields = [:],
        errors: [String]? = nil
    ) {
        self.errors = errors
        self.slug = slug
        self.title = title
        self.status = status
        self.detail = detail
        self.field = field
        self.headers = headers
    }

    public var type: String { Self.typeBase + slug }

    private enum CodingKeys: String, CodingKey { case type, title, status, detail, field, errors }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(title, forKey: .title)
        try container.encode(status.code, forKey: .status)
        try container.encode(detail, forKey: .detail)
        try container.encodeIfPresent(field, forKey: .field)
        try container.encodeIfPresent(errors, forKey: .errors)
    }

    /// The problem as its `application/problem+json` body.
    var json: Data {
        // Encoding four strings and an integer cannot fail.
        (try? JSONResponse.encode(self)) ?? Data()
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try JSONResponse.encode(self))))
    }
}

extension Problem {
    /// A 400 `invalid-request` naming the field at fault.
    static func invalidRequest(_ field: String, _ detail: String) -> Problem {
        Problem("invalid-request", title: "Invalid request", status: .badRequest, detail: detail, field: field)
    }

    static func unauthenticated(_ detail: String) -> Problem {
        Problem(
            "unauthenticated", title: "Authentication required", status: .unauthorized, detail: detail,
            headers: [.wwwAuthenticate: #"Bearer realm="credit-broker""#]
        )
    }

    static func certificateNotBound() -> Problem {
        Problem(
            "certificate-not-bound", title: "Certificate not bound to a partner", status: .forbidden,
            detail: "The client certificate is valid but no partner contract names its fingerprint or subject."
        )
    }

    /// 403: the partner is suspended (the kill switch); every credential is refused until reinstated.
    static func partnerSuspended() -> Problem {
        Problem(
            "partner-suspended", title: "Partner suspended", status: .forbidden,
            detail: "The partner is suspended by the platform; every credential is refused until it is reinstated."
        )
    }

    /// 403: the partner is retired; its credentials no longer authenticate.
    static func partnerRetired() -> Problem {
        Problem("partner-retired", title: "Partner retired", status: .forbidden, detail: "The partnership has ended; its credentials no longer authenticate.")
    }

    static func rateLimited(retryAfterSeconds: Int) -> Problem {
        Problem(
            "rate-limited", title: "Too many requests", status: .tooManyRequests,
            detail: "The partner's request rate is over its contract's limit; retry after \(retryAfterSeconds) s.",
            headers: [.retryAfter: String(retryAfterSeconds)]
        )
    }

    /// 429: the partner already has `limit` requests in progress in this process.
    static func tooManyInFlight(_ limit: Int) -> Problem {
        Problem(
            "rate-limited", title: "Too many requests", status: .tooManyRequests,
            detail: "The partner has \(limit) requests in progress here, the most it may have at once; retry after 1 s.",
            headers: [.retryAfter: "1"]
        )
    }

    /// The quota is used up, or (for a batch review of `units` subjects, named by `subjects`) has
    /// fewer units left than the batch needs; `Retry-After` is the seconds until it resets.
    static func quotaExhausted(_ exhaustion: QuotaDecision.Exhaustion, now: Date, batchOf units: Int? = nil) -> Problem {
        let seconds = max(1, Int(exhaustion.resetsAt.timeIntervalSince(now).rounded(.up)))
        let quota = "The \(exhaustion.period == .day ? "daily" : "monthly") quota of \(exhaustion.limit)"
        let detail = units.map { "\(quota) has fewer than the \($0) units this batch needs; it resets on \(exhaustion.nextPeriodStarts) (China time)." }
            ?? "\(quota) requests is used up; it resets on \(exhaustion.nextPeriodStarts) (China time)."
        return Problem(
            "quota-exhausted", title: "Quota exhausted", status: .tooManyRequests, detail: detail,
            field: units == nil ? nil : "subjects", headers: [.retryAfter: String(seconds)]
        )
    }

    static func idempotencyConflict() -> Problem {
        Problem(
            "idempotency-key-reused", title: "Idempotency-Key reused", status: .unprocessableContent,
            detail: "This Idempotency-Key was used for a different request.", field: "Idempotency-Key"
        )
    }

    static func idempotencyInProgress() -> Problem {
        Problem(
            "idempotency-key-in-progress", title: "Request in progress", status: .conflict,
            detail: "A request with this Idempotency-Key is still running; retry shortly.", field: "Idempotency-Key",
            headers: [.retryAfter: "1"]
        )
    }

    /// 503: the database could not be reached (down, restarting, out of connections); nothing was answered.
    static func databaseUnavailable() -> Problem {
        Problem(
            "database-unavailable", title: "Database unavailable", status: .serviceUnavailable,
            detail: "The broker's database cannot be reached just now; nothing was disclosed or spent. Retry later.",
            headers: [.retryAfter: "5"]
        )
    }

    static func meteringUnavailable() -> Problem {
        Problem(
            "metering-unavailable", title: "Metering unavailable", status: .serviceUnavailable,
            detail: "The answer could not be metered durably, so it was not sent; retry later.", headers: [.retryAfter: "5"]
        )
    }

    static func `internal`() -> Problem {
        Problem("internal", title: "Internal Server Error", status: .internalServerError, detail: "The request failed; the broker logged it.")
    }
}
