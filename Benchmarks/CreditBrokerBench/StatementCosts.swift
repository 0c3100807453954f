import BrokerStore
import Foundation
import PostgresClient

/// Where PostgreSQL's time per operation goes, statement by statement, from `pg_stat_statements`
/// (the gateway bench's `--statements`): execution time (wall-clock inside the executor, lock waits
/// and reads included; not CPU), WAL bytes and full-page images, each divided by the operations the
/// load completed. Counted between `reset` and `read`, over the server's whole database.
struct StatementCosts {
    /// What a statement is part of, in print order, by what its text names.
    static let kinds: [(label: String, matches: @Sendable (String) -> Bool)] = [
        ("record lookup", { $0 == RecordStore.disclosable.sql }),
        ("quota reservation", { $0.contains("quota_reserve") }),
        ("meter events", { $0.contains("INSERT INTO meter_events") }),
        ("pgbench's lookup", { $0.contains("bench_enterprises") }),
    ]

    struct Part {
        let label: String
        var milliseconds = 0.0
        var walBytes = 0.0
        var fullPageImages = 0.0
    }

    let parts: [Part]

    /// Loads nothing itself: the server must run with `shared_preload_libraries = 'pg_stat_statements'`.
    static func install(_ pool: PostgresPool) async throws {
        try await pool.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    }

    /// Drops the extension again, so that a kept database is left as the run found it.
    static func uninstall(_ pool: PostgresPool) async throws {
        try await pool.query("DROP EXTENSION IF EXISTS pg_stat_statements")
    }

    static func reset(_ pool: PostgresPool) async throws {
        try await pool.query("SELECT pg_stat_statements_reset()")
    }

    /// The statements run since `reset`, each kind's sums divided by `operations`; statements of
    /// no kind are summed as `other` (the gateway's background work, the bench's own queries).
    static func read(_ pool: PostgresPool, per operations: Int) async throws -> StatementCosts {
        let rows = try await pool.query("""
            SELECT query, total_exec_time, wal_bytes::float8, wal_fpi::float8 FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND query NOT LIKE '%pg_stat_statements%'
            """)
        let count = Double(max(operations, 1))
        var parts = (kinds.map(\.label) + ["other"]).map { Part(label: $0) }
        for row in rows {
            let query = try row.decode(String.self, at: 0)
            let index = kinds.firstIndex { $0.matches(query) } ?? kinds.count
            parts[index].milliseconds += try row.decode(Double.self, at: 1) / count
            parts[index].walBytes += try row.decode(Double.self, at: 2) / count
            parts[index].fullPageImages += try row.decode(Double.self, at: 3) / count
        }
        return StatementCosts(parts: parts)
    }

    /// `record lookup 0.035 ms, …, meter events 0.069 ms (4,937 B of WAL, 0.57 full-page images), …`:
    /// the parts that took any time.
    var summary: String {
        parts.filter { $0.milliseconds >= 0.0005 }.map { part in
            var text = String(format: "%@ %.3f ms", part.label, part.milliseconds)
            if part.walBytes >= 1 { text += String(format: " (%.0f B of WAL, %.2f full-page images)", part.walBytes, part.fullPageImages) }
            return text
        }.joined(separator: ", ")
    }

    /// Each part's median over `costs` (read with the same kinds).
    static func median(_ costs: [StatementCosts]) -> StatementCosts {
        guard let first = costs.first else { return StatementCosts(parts: []) }
        return StatementCosts(parts: first.parts.indices.map { index in
            Part(
                label: first.parts[index].label,
                milliseconds: BenchmarkTimer.median(costs.map { $0.parts[index].milliseconds }),
                walBytes: BenchmarkTimer.median(costs.map { $0.parts[index].walBytes }),
                fullPageImages: BenchmarkTimer.median(costs.map { $0.parts[index].fullPageImages })
            )
        })
    }
}
