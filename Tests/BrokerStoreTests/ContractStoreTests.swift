import BrokerCore
import BrokerStore
import Foundation
import PostgresClient
import TestSupport
import Testing

@Suite struct ContractStoreTests {
    static let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func text(_ path: String) throws -> (file: String, text: String) {
        (path, try String(contentsOf: root.appending(path: path), encoding: .utf8))
    }

    /// The shipped ICBC contract, and the same with another label.
    static func icbcVersions() throws -> (Contract, Contract) {
        let policies = try PolicyBundle(
            catalog: text("Policies/catalog.yaml"), masking: text("Policies/masking.yaml"),
            purposes: text("Policies/purposes.yaml"), defaults: text("Policies/partner-defaults.yaml")
        )
        let file = try text("Contracts/bank.icbc_jiangsu.yaml").text
        let relabelled = file.replacingOccurrences(of: "version: 2026-11-01.1", with: "version: 2026-12-01.1")
        return (try Contract(yaml: file, file: "v1.yaml", policies: policies), try Contract(yaml: relabelled, file: "v2.yaml", policies: policies))
    }

    static func migratedPool() async throws -> PostgresPool {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 2))
        try await Migrator(pool: pool).migrate()
        return pool
    }

    @Test func theVersionOfADayIsTheNewestAppliedByThenWhoseTermCoversIt() async throws {
        let pool = try await Self.migratedPool()
        let (v1, v2) = try Self.icbcVersions()
        for (contract, appliedAt) in [(v1, "2026-02-01T00:00:00Z"), (v2, "2026-06-01T00:00:00Z")] {
            try await pool.query("""
                INSERT INTO contract_versions (partner_id, label, digest, term_from, term_to, body, source_file, applied_at)
                VALUES (\(contract.partnerID), \(contract.versionLabel), \(contract.version.digest), \(contract.term.from.description)::date,
                        \(contract.term.to.description)::date, \(PostgresJSON(contract))::jsonb, 'x.yaml', \(appliedAt)::timestamptz)
                """)
        }
        let store = ContractStore(pool: pool)
        #expect(try await store.version(of: v1.partnerID, on: CivilDate("2026-01-15")!) == nil)
        #expect(try await store.version(of: v1.partnerID, on: CivilDate("2026-03-01")!)?.contract == v1)
        #expect(try await store.version(of: v1.partnerID, on: CivilDate("2026-07-01")!)?.contract == v2)
        #expect(try await store.version(of: v1.partnerID, on: CivilDate("2029-01-01")!) == nil)
        #expect(try await store.version(of: "bank.nobody", on: CivilDate("2026-07-01")!) == nil)

        // Going back to v1 is a new version; applying it again adds nothing.
        #expect(try await store.apply([(v1, "v1.yaml")]) == [v1.version])
        #expect(try await store.apply([(v1, "v1.yaml")]).isEmpty)
        #expect(try await store.version(of: v1.partnerID, on: .today())?.contract == v1)
        #expect(try await store.version(of: v1.partnerID, on: CivilDate("2026-07-01")!)?.contract == v2)
        #expect(try await store.versionCount(of: v1.partnerID) == 3)
        await pool.close()
    }

    @Test func versionsAreInsertOnly() async throws {
        let pool = try await Self.migratedPool()
        let (v1, _) = try Self.icbcVersions()
        _ = try await ContractStore(pool: pool).apply([(v1, "v1.yaml")])
        await #expect(throws: PostgresError.self) {
            try await pool.query("UPDATE contract_versions SET label = 'x'")
        }
        await #expect(throws: PostgresError.self) {
            try await pool.query("DELETE FROM contract_versions")
        }
        #expect(try await pool.query("SELECT label FROM contract_versions")[0].decode(String.self, at: 0) == v1.versionLabel)
        await pool.close()
    }
}
