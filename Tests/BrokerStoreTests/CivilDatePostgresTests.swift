import BrokerCore
import BrokerStore
import PostgresClient
import TestSupport
import Testing

/// A `CivilDate` binds as a `date` and decodes from one, every day PostgreSQL holds included (it
/// has no year 0: 1 BC is written `0001-… BC`), and only from a `date` column.
@Suite struct CivilDatePostgresTests {
    @Test func daysCrossBothWaysAsDays() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        let days = ["2026-12-05", "2024-02-29", "1970-01-01", "0001-01-01", "0000-12-31", "0000-01-01", "9999-12-31"].map { CivilDate($0)! }
            + [CivilDate(year: -44, month: 3, day: 15)!, CivilDate(year: 12_345, month: 6, day: 7)!]
        for day in days {
            let row = try await pool.query("SELECT \(day)::date, \(day)::date - DATE '1970-01-01', to_char(\(day)::date, 'YYYY-MM-DD BC')")[0]
            #expect(try row.decode(CivilDate.self, at: 0) == day, "\(day)")
            #expect(try row.decode(Int.self, at: 1) == day.dayNumber, "\(day) as the server counts it")
            if day.year > 0 { #expect(try row.decode(String.self, at: 2) == day.description + " AD") }
        }
        #expect(try await pool.query("SELECT \(CivilDate("0000-12-31")!)::date::text")[0].decode(String.self, at: 0) == "0001-12-31 BC")
        #expect(try await pool.query("SELECT NULL::date")[0].decode(CivilDate?.self, at: 0) == nil)
        let text = try await pool.query("SELECT '2026-12-05'::text")[0]
        #expect(throws: PostgresError.self) { try text.decode(CivilDate.self, at: 0) }
        await pool.close()
    }
}
