import BrokerCore
import Crypto
import HTTPTypes
import Hummingbird
import Metering

/// A partner request's `Idempotency-Key`: a retry with the same key and request gets the first
/// answer again, byte for byte (`Idempotent-Replayed: true`), and is not metered again; a key reused
/// for a different request (another method, path, query string, body, `Accept` or `Accept-Language`:
/// what the answer is, and in which form) is a 422, one still running a 409. The key is kept only as a
/// keyed hash. A `GET` or `HEAD` takes no key: it changes nothing and is simply asked again, and a key
/// there would replay a stale page (a 400 says so).
///
/// Only a success (2xx) is kept for retries, sealed, in the transaction of its meter event
/// (`MeteringMiddleware`, told through `MeterNote`). Any other answer's key is given up at once, so
/// that a retry runs again: a refusal did nothing to repeat, and kept it would outlive its cause (a
/// 429 for a quota used up replayed with its stale `Retry-After` after the quota came back; a 400
/// for a typo kept the corrected request out as a 422 for a day); a server error the same.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let store: IdempotencyStore
    let sweep: QuotaHoldSweep
    let hasher: PersonKeyHasher
    /// The largest request body any partner route accepts (the key covers the body).
    let maxBodyBytes: Int

    static let header = HTTPField.Name("Idempotency-Key")!
    /// The request's header fields that choose the answer's form (a report's media type and language):
    /// part of what a key covers, so that a retry asking another form is told, not answered the first.
    static let negotiated: [HTTPField.Name] = [.accept, .acceptLanguage]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[Self.header] else { return try await next(request, context) }
        let partner = try context.requirePartner()
        guard request.method != .get, request.method != .head else {
            throw Problem.invalidRequest("Idempotency-Key", "A GET takes no Idempotency-Key: it changes nothing, so ask again instead.")
        }
        // Two fields arrive joined as one value ("a, b"), which read as a key with a space in it.
        guard request.headers[values: Self.header].count == 1 else {
            throw Problem.invalidRequest("Idempotency-Key", "Send one Idempotency-Key header, not several.")
        }
        let key: IdempotencyKey
        do {
            key = try IdempotencyKey(header, hasher: hasher)
        } catch {
            throw Problem("idempotency-key-invalid", title: "Invalid Idempotency-Key", status: .badRequest, detail: error.reason, field: "Idempotency-Key")
        }
        var request = request
        let body = try await request.collectWholeBody(upTo: maxBodyBytes)
        var hash = SHA256()
        hash.update(data: Array("\(request.method.rawValue) \(request.uri.path)\(request.uri.query.map { "?" + $0 } ?? "")\n".utf8))
        for name in Self.negotiated {
            for value in request.headers[values: name] { hash.update(data: Array("\(name.canonicalName): \(value)\n".utf8)) }
        }
        body.withUnsafeReadableBytes { hash.update(bufferPointer: $0) }
        switch try await store.begin(partner: partner.partnerID, key: key, requestHash: hash.finalize().lowercaseHex) {
        case .replay(let stored):
            context.meter.idempotencyOutcome = .replay
            return Self.response(stored)
        case .conflict:
            throw Problem.idempotencyConflict()
        case .inProgress:
            throw Problem.idempotencyInProgress()
        case .new:
            var response = try await Problem.answer(request, context, next)
            guard (200..<300).contains(response.status.code) else {
                await sweep.abandon(partner: partner.partnerID, key: key)
                return response
            }
            let body = try await response.collectBody()
            context.meter.idempotencyOutcome = .claimed(key, kept: StoredResponse(
                status: Int(response.status.code),
                headers: response.headers.map { StoredResponse.Header(name: $0.name.rawName, value: $0.value) },
                body: Array(body.readableBytesView)
            ))
            return response
        }
    }

    private static func response(_ stored: StoredResponse) -> Response {
        var headers = HTTPFields()
        for header in stored.headers { headers.append(.init(name: .init(header.name)!, value: header.value)) }
        headers[.init("Idempotent-Replayed")!] = "true"
        return Response(status: .init(code: stored.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: stored.body)))
    }
}
