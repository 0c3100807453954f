import BrokerCore
import Crypto
import Foundation
import Hummingbird
import Metering

/// Every authenticated partner request, in order: the partner's rate limit and its requests in flight
/// in this process (`ConcurrencyLimiter`), its `Idempotency-Key`,
/// the route (with the quota middleware on billable routes), then exactly one meter event, committed
/// by group commit before the response leaves.
///
/// A retry with the same key and body gets the first answer again, byte for byte, and is not
/// metered again; a key reused for a different request is a 422, one still running a 409. If the
/// meter event cannot be committed the answer is withheld (503); whatever was spent for an answer
/// that does not leave (`MeterNote.whenWithheld`: its quota unit, a consent's use) is given back:
/// nothing leaves unmetered, and nothing is spent on an answer that never left.
struct MeteringMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let services: MeteringServices
    let metrics: GatewayMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let partner = try context.requirePartner()
        let occurredAt = context.instant
        let limit = partner.contract.rateLimit
        let rate = services.limiter.check(partner: partner.partnerID, perSecond: limit.perSecond, burst: limit.burst)

        var request = request
        var claimedKey: IdempotencyKey?
        var response: Response
        let admitted = rate.allowed && services.concurrency.enter(partner.partnerID)
        defer { if admitted { services.concurrency.leave(partner.partnerID) } }
        if !rate.allowed {
            response = try Problem.rateLimited(retryAfterSeconds: rate.retryAfterSeconds ?? 1)
                .response(from: request, context: context)
        } else if !admitted {
            response = try Problem.tooManyInFlight(services.concurrency.limit).response(from: request, context: context)
        } else if let header = request.headers[.init("Idempotency-Key")!] {
            let key: IdempotencyKey
            do {
                key = try IdempotencyKey(header, hasher: services.hasher)
            } catch {
                throw Problem("idempotency-key-invalid", title: "Invalid Idempotency-Key", status: .badRequest, detail: error.reason, field: "Idempotency-Key")
            }
            let body = try await request.collectWholeBody(upTo: services.maxBodyBytes)
            switch try await begin(key: key, partner: partner.partnerID, request: request, body: body) {
            case .replay(let stored):
                return Self.response(stored, rate: rate)
            case .conflict:
                response = try Problem.idempotencyConflict().response(from: request, context: context)
            case .inProgress:
                response = try Problem.idempotencyInProgress().response(from: request, context: context)
            case .new:
                claimedKey = key
                response = try await run(next, request, context)
            }
        } else {
            response = try await run(next, request, context)
        }

        for header in rate.headers { response.headers[.init(header.name)!] = header.value }
        // The body is copied out only when it must be kept for a retry or has no known length.
        var responseBytes = response.body.contentLength
        var kept: (key: IdempotencyKey, response: StoredResponse)?
        if claimedKey != nil || responseBytes == nil {
            let body = try await Self.collect(response.body)
            response.body = .init(byteBuffer: ByteBuffer(bytes: body))
            responseBytes = body.count
            if let claimedKey, response.status.code < 500 {
                kept = (claimedKey, StoredResponse(
                    status: Int(response.status.code),
                    headers: response.headers.map { StoredResponse.Header(name: $0.name.rawName, value: $0.value) },
                    body: body
                ))
            }
        }
        if let claimedKey, kept == nil {
            await services.sweep.abandon(partner: partner.partnerID, key: claimedKey)
        }
        if response.status.code >= 400 { await context.meter.undoSpending() }
        let facts = context.meter.facts
        let contract = facts.contractVersion ?? partner.contract.version
        let event = MeterEvent(
            partnerID: partner.partnerID, requestID: context.id,
            endpoint: "\(request.method.rawValue) \(context.endpointPath ?? request.uri.path)",
            purpose: facts.purpose, disclosed: facts.disclosed, withheld: facts.withheld, consentID: facts.consentID,
            contractLabel: contract.label, contractDigest: contract.digest, status: Int(response.status.code),
            latency: ContinuousClock.now - started, responseBytes: responseBytes ?? 0,
            subjectHash: facts.subjectKey.map(services.hasher.meterHash(ofSubjectKey:)), occurredAt: occurredAt
        )
        do {
            // Sealed here, so that a body that cannot be sealed is withheld like one that cannot be metered.
            let completion = try kept.map { try services.idempotency.completion(partner: partner.partnerID, key: $0.key, response: $0.response) }
            try await services.writer.record(event, completing: completion)
        } catch {
            context.logger.error("meter event not committed; answer withheld", metadata: ["error": "\(error)"])
            await context.meter.undoSpending()
            if let claimedKey { await services.sweep.abandon(partner: partner.partnerID, key: claimedKey) }
            throw Problem.meteringUnavailable()
        }
        if response.status.code < 400 { await context.meter.delivered() }
        metrics.request(route: event.endpoint, status: event.status, latency: ContinuousClock.now - started)
        metrics.decisions(disclosed: facts.disclosed.count, withheld: facts.withheld)
        return response
    }

    /// Runs the route; an error becomes its problem response here, so that it is metered with its status.
    private func run(_ next: (Request, Context) async throws -> Response, _ request: Request, _ context: Context) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try Problem(error, logger: context.logger).response(from: request, context: context)
        }
    }

    private func begin(key: IdempotencyKey, partner: String, request: Request, body: ByteBuffer) async throws -> IdempotencyOutcome {
        var hash = SHA256()
        hash.update(data: Array("\(request.method.rawValue) \(request.uri.path)\n".utf8))
        hash.update(data: Array(body.readableBytesView))
        return try await services.idempotency.begin(partner: partner, key: key, requestHash: hash.finalize().lowercaseHex)
    }

    private static func response(_ stored: StoredResponse, rate: RateLimitDecision) -> Response {
        var headers = HTTPFields()
        for header in stored.headers { headers.append(.init(name: .init(header.name)!, value: header.value)) }
        for header in rate.headers { headers[.init(header.name)!] = header.value }
        headers[.init("Idempotent-Replayed")!] = "true"
        return Response(status: .init(code: stored.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: stored.body)))
    }

    /// The whole body of a response the broker made itself (JSON and problems: small, in memory).
    private static func collect(_ body: ResponseBody) async throws -> [UInt8] {
        let collected = CollectedBytes()
        try await body.write(CollectingWriter(collected: collected))
        return collected.bytes
    }

    private final class CollectedBytes {
        var bytes: [UInt8] = []
    }

    private struct CollectingWriter: ResponseBodyWriter {
        let collected: CollectedBytes

        func write(_ buffer: ByteBuffer) async throws {
            collected.bytes.append(contentsOf: buffer.readableBytesView)
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
