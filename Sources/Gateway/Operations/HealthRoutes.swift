import BrokerCore
import BrokerStore
import Hummingbird
import PostgresClient
import Synchronization

/// Liveness and readiness for load balancers and orchestrators, on the partner listener and the
/// operations listener.
///
/// - `GET /healthz`: 200 while the process serves HTTP.
/// - `GET /readyz`: 200 when the database answers and every shipped migration is applied;
///   503 with the reason otherwise (never a stack trace or a connection string). It waits at most
///   `patience` for the database's answer, a free connection included (its statements are stopped
///   when the patience runs out): a gateway whose connections are all busy serving partners, or
///   whose database is slow for a moment, is busy, not broken, so while a connection came back
///   working within `busyGrace` (and the last full check was ready) it answers 200 at once, saying
///   so; otherwise 503. A check
///   that waited in line for the pool's acquire timeout would outlast the load balancer's (HAProxy
///   checks every 2 s and counts a slower answer as a failure; three take the gateway out and close
///   its partners' connections), and so take the busiest gateways out just when load peaks.
final class HealthRoutes<Context: RequestContext>: Sendable {
    let pool: PostgresPool
    let patience: Duration
    let busyGrace: Duration
    /// Whether the last check that got a connection found the database ready.
    private let lastCheckReady = Mutex(false)

    init(pool: PostgresPool, patience: Duration = .seconds(1), busyGrace: Duration = .seconds(10)) {
        self.pool = pool
        self.patience = patience
        self.busyGrace = busyGrace
    }

    func register(on router: Router<Context>) {
        router.get("healthz") { _, _ in
            "ok\n"
        }
        router.get("readyz") { _, _ -> Response in
            await self.readiness()
        }
    }

    private func readiness() async -> Response {
        let pending: [Migration]
        do {
            guard let checked = try await TimeLimit.databaseAnswer(within: patience, { try await Migrator(pool: self.pool).pending() }) else {
                if lastCheckReady.withLock({ $0 }), let worked = pool.lastWorked, ContinuousClock.now - worked < busyGrace {
                    return Self.text(.ok, "ready (database busy: no answer within \(patience))\n")
                }
                return Self.text(.serviceUnavailable, "not ready: no database answer within \(patience)\n")
            }
            pending = checked
        } catch {
            lastCheckReady.withLock { $0 = false }
            let kind = (error as? PostgresError).map { "\($0.kind.rawValue) " } ?? ""
            return Self.text(.serviceUnavailable, "not ready: database \(kind)error\n")
        }
        lastCheckReady.withLock { $0 = pending.isEmpty }
        guard pending.isEmpty else {
            return Self.text(.serviceUnavailable, "not ready: \(pending.count) migration(s) pending\n")
        }
        return Self.text(.ok, "ready\n")
    }

    private static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }
}
