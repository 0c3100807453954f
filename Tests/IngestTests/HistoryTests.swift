import BrokerCore
import BrokerStore
import Foundation
import Ingest
import PostgresClient
import Testing

/// Superseded versions and status events are kept, and the history answers what was held when.
@Suite struct HistoryTests {
    static func versionRows(_ database: IngestFixture) async throws -> Int {
        try await database.pool.query("SELECT count(*) FROM record_versions")[0].decode(at: 0)
    }

    @Test func everyVersionAndStatusChangeIsKept() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        let first = try database.write("a.jsonl", lines: [IngestFixture.penalty("P1"), IngestFixture.penalty("P2")])
        _ = try await database.ingest(first)
        let afterFirst = Date()
        try await Task.sleep(for: .milliseconds(20))
        _ = try await database.ingest(try database.write("b.jsonl", lines: [IngestFixture.penalty("P1", amount: "7000")]))
        let afterSecond = Date()
        try await Task.sleep(for: .milliseconds(20))
        _ = try await database.ingest(try database.write("c.jsonl", lines: [IngestFixture.event("disputed", "P1")]))

        let history = try #require(try await database.store.history(source: "jiangsu_public_credit", sourceRecordID: "P1"))
        #expect(history.versions.map(\.record.version) == [1, 2, 2])
        #expect(history.versions.map { $0.record.fields["amount"] } == [.int(5000), .int(7000), .int(7000)])
        #expect(history.versions.map(\.record.status) == [.active, .active, .disputed])
        #expect(history.versions.map(\.heldUntil).map { $0 == nil } == [false, false, true])
        #expect(zip(history.versions, history.versions.dropFirst()).allSatisfy { $0.heldUntil == $1.heldFrom })
        #expect(history.events.map(\.kind) == [.disputed] && history.events.map(\.date) == [CivilDate("2026-06-01")!])

        #expect(history.version(heldAt: afterFirst)?.record.fields["amount"] == .int(5000))
        #expect(history.version(heldAt: afterSecond)?.record.fields["amount"] == .int(7000))
        #expect(history.version(heldAt: afterSecond)?.record.status == .active)
        #expect(history.version(heldAt: Date())?.record.status == .disputed)
        #expect(history.version(heldAt: history.versions[0].heldFrom.addingTimeInterval(-1)) == nil)

        let untouched = try #require(try await database.store.history(source: "jiangsu_public_credit", sourceRecordID: "P2"))
        #expect(untouched.versions.count == 1 && untouched.events.isEmpty)
        #expect(try await database.store.history(source: "jiangsu_public_credit", sourceRecordID: "P9") == nil)
    }

    @Test func reingestingAddsNoVersion() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        _ = try await database.ingest(try database.write("a.jsonl", lines: [IngestFixture.penalty("P1")]))
        let path = try database.write("b.jsonl", lines: [
            IngestFixture.penalty("P1", amount: "7000"), IngestFixture.penalty("P2"), IngestFixture.event("repaired", "P1"),
        ])
        _ = try await database.ingest(path, batchSize: 1)
        let kept = try await Self.versionRows(database)
        #expect(kept == 2)
        _ = try await database.ingest(path, batchSize: 1)
        _ = try await database.ingest(path)
        #expect(try await Self.versionRows(database) == kept)
    }

    @Test func versionsAreInsertOnly() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        _ = try await database.ingest(try database.write("a.jsonl", lines: [IngestFixture.penalty("P1")]))
        _ = try await database.ingest(try database.write("b.jsonl", lines: [IngestFixture.penalty("P1", amount: "7000")]))
        for statement: PostgresQuery in ["UPDATE record_versions SET status = 'repaired'", "DELETE FROM record_versions"] {
            await #expect(throws: PostgresError.self) { try await database.pool.query(statement) }
        }
        #expect(try await Self.versionRows(database) == 1)
    }
}
