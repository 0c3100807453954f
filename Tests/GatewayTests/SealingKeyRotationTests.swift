import BrokerCore
import BrokerStore
import Foundation
import Gateway
import PostgresClient
import TestSupport
import Testing

/// Rotating the sealing keys of a running gateway without a restart: a new last key added to the
/// key file seals from the next reload (SIGHUP) on while the old one still opens; `reseal` moves
/// the rest while the gateway serves; the old key then goes; keys that lack one still in use are
/// refused by a reload, and the gateway keeps the keys it has.
@Suite struct SealingKeyRotationTests {
    static let company = FeedLines.company(71)

    @Test func aNewKeySealsFromTheNextReloadAndResealMovesTheRestWhileTheGatewayServes() async throws {
        let path = try TestSealingKeys.file()
        let first = try String(contentsOfFile: path, encoding: .utf8)
        let keys = try await SealingKeys.load(.file(path))
        func write(_ text: String) throws {
            try Data(text.utf8).write(to: URL(filePath: path))
            chmod(path, 0o600)
        }
        try await TestGateway.run(configuring: { configuration, _ in configuration.sealingKeys = keys }) { gateway in
            try await gateway.ingest([FeedLines.penalty(Self.company, id: "PEN-71"), FeedLines.penalty(Self.company, id: "PEN-72")])
            func file(_ record: String, _ reason: String) async throws -> String {
                let reply = try await gateway.request(
                    .POST, "/v1/portal/disputes", identity: gateway.identity(of: TestGateway.portal),
                    body: JSONSerialization.data(withJSONObject: [
                        "subject": Self.company, "record": ["source": "jiangsu_public_credit", "source_record_id": record], "reason": reason,
                    ])
                )
                #expect(reply.status == 201, "\(String(decoding: reply.body, as: UTF8.self))")
                return reply.json["id"] as? String ?? ""
            }
            func keyOf(_ id: String) async throws -> String? {
                try await gateway.pool.query("SELECT sealing_key FROM disputes WHERE dispute_id = \(id)")[0].decode(String?.self, at: 0)
            }
            func reasons() async throws -> Set<String> {
                let listed = try await gateway.admin(.GET, "/admin/v1/disputes", as: .audit)
                #expect(listed.status == 200, "\(String(decoding: listed.body, as: UTF8.self))")
                return Set((listed.json["disputes"] as? [[String: Any]] ?? []).compactMap { $0["reason"] as? String })
            }
            let before = try await file("PEN-71", "under the first key")
            #expect(try await keyOf(before) == "k1")

            // A new last line, then the reload: it seals from now on, the old one still opens.
            let second = try SealingKeyring.newKeyFileText(id: "k2")
            try write(first + second)
            let reloaded = try #require(await gateway.broker.reload().first { $0.part == "sealing keys" })
            #expect(!reloaded.failed && reloaded.detail == "2 key(s) from \(path) (k1, k2), 'k2' seals", "\(reloaded)")
            let after = try await file("PEN-72", "under the second key")
            #expect(try await keyOf(after) == "k2")
            #expect(try await reasons() == ["under the first key", "under the second key"])

            // Without k1 while a value is under it: refused, the keys in use stay.
            try write(second)
            let refused = try #require(await gateway.broker.reload().first { $0.part == "sealing keys" })
            #expect(refused.failed && refused.detail.contains("the database holds values sealed under 'k1'"), "\(refused)")
            #expect(try await reasons() == ["under the first key", "under the second key"])

            // reseal while the gateway serves, then k1 may go.
            let summary = try await DisputeStore.reseal(pool: gateway.pool, keys: keys)
            #expect(summary.resealed == 1 && summary.fromKeys == ["k1": 1] && summary.keyID == "k2")
            #expect(try await keyOf(before) == "k2")
            let gone = try #require(await gateway.broker.reload().first { $0.part == "sealing keys" })
            #expect(!gone.failed && gone.detail == "1 key(s) from \(path) (k2), 'k2' seals", "\(gone)")
            #expect(try await reasons() == ["under the first key", "under the second key"])
        }
    }
}
