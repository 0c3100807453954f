import BrokerStore
import Foundation
import Gateway
import PostgresClient
import Testing

/// The gateway's answers while its database cannot be reached (the fault harness's PostgreSQL
/// scenario found agencies told 500): 503 `database-unavailable` with `Retry-After`, for an agency
/// (whose API key cannot be checked) and a bank alike, and 200 again once the database is back.
@Suite(.serialized) struct DatabaseUnavailableTests {
    static let body = Data(#"{"subject":"91350100M000100Y43","purpose":"credit_report","items":["enterprise.registration"]}"#.utf8)
    static let bankBody = Data(#"{"subject":"91350100M000100Y43","purpose":"credit_approval","items":["enterprise.registration"]}"#.utf8)

    @Test func whileTheDatabaseRefusesConnectionsEveryPartnerIsAnswered503() async throws {
        try await TestGateway.run { gateway in
            let (_, token) = try await ApiKeyStore(pool: gateway.pool).issue(partnerID: TestGateway.agency, expiresAt: nil)
            let identity = try gateway.identity(of: TestGateway.bank)
            #expect(try await gateway.request(.POST, "/v1/queries", bearer: token, body: Self.body).status == 200)
            let name = try await gateway.pool.query("SELECT current_database()")[0].decode(String.self, at: 0)
            // Another database of the same server, to close this one to connections and end its sessions.
            let admin = PostgresPool(.init(connection: gateway.pool.configuration.connection.database("postgres"), maxConnections: 1))
            try await admin.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(name) ALLOW_CONNECTIONS false"))
            try await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(name)")
            do {
                for (bearer, identity, body) in [(token, nil, Self.body), (nil, identity, Self.bankBody)] {
                    let reply = try await gateway.request(.POST, "/v1/queries", identity: identity, bearer: bearer, body: body)
                    #expect(reply.status == 503, "\(String(decoding: reply.body, as: UTF8.self))")
                    #expect(["database-unavailable", "metering-unavailable"].contains((reply.json["type"] as? String)?.split(separator: "/").last.map(String.init) ?? ""))
                    #expect(reply.headers.first(name: "Retry-After") != nil)
                }
            } catch {
                _ = try? await admin.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(name) ALLOW_CONNECTIONS true"))
                await admin.close()
                throw error
            }
            try await admin.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(name) ALLOW_CONNECTIONS true"))
            await admin.close()
            #expect(try await gateway.request(.POST, "/v1/queries", bearer: token, body: Self.body).status == 200)
        }
    }
}
