import BrokerCore
import BrokerStore
import Foundation
import PostgresClient
import TestSupport
import Testing

@Suite struct ContractStoreTests {
    @Test func versionsAreInsertOnly() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 2))
        try await Migrator(pool: pool).migrate()
        try await pool.query("""
            INSERT INTO contract_versions (partner_id, label, digest, term_from, term_to, body, source_file)
            VALUES ('bank.x', '1', \(String(repeating: "0", count: 64)), '2026-01-01', '2026-12-31', '{}', 'bank.x.yaml')
            """)
        await #expect(throws: PostgresError.self) {
            try await pool.query("UPDATE contract_versions SET label = 'x'")
        }
        await #expect(throws: PostgresError.self) {
            try await pool.query("DELETE FROM contract_versions")
        }
        #expect(try await pool.query("SELECT label FROM contract_versions")[0].decode(String.self, at: 0) == "1")
        await pool.close()
    }
}
