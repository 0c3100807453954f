import BrokerStore
import Hummingbird
import PostgresClient

/// Liveness and readiness for load balancers and orchestrators, on the partner listener and the
/// operations listener.
///
/// - `GET /healthz`: 200 while the process serves HTTP.
/// - `GET /readyz`: 200 when the database answers and every shipped migration is applied;
///   503 with the reason otherwise (never a stack trace or a connection string).
struct HealthRoutes<Context: RequestContext> {
    let pool: PostgresPool

    func register(on router: Router<Context>) {
        router.get("healthz") { _, _ in
            "ok\n"
        }
        router.get("readyz") { _, _ -> Response in
            let state: String
            do {
                let pending = try await Migrator(pool: pool).pending()
                guard pending.isEmpty else {
                    return Self.text(.serviceUnavailable, "not ready: \(pending.count) migration(s) pending\n")
                }
                state = "ready\n"
            } catch let error as PostgresError {
                return Self.text(.serviceUnavailable, "not ready: database \(error.kind.rawValue) error\n")
            }
            return Self.text(.ok, state)
        }
    }

    private static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }
}
