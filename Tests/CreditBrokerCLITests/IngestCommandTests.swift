@testable import BrokerStore
import ChildProcesses
import Foundation
import PostgresClient
import TestSupport
import Testing

/// `credit-broker ingest` as an operator runs it.
@Suite struct IngestCommandTests {
    /// Ctrl-C during a run: the batch being merged is stopped at the server and rolled back, the
    /// command says what holds and exits 130 (128 + SIGINT), at once; before, the signal killed the
    /// process (or, had it been caught, the run waited for the merge). Here the merge waits for the
    /// merge lock, held by another session, so it is in flight when the signal comes.
    @Test func anInterruptedIngestRollsBackItsBatchAndSaysSo() async throws {
        let database = try await TestPostgres.freshDatabase()
        let conninfo = try #require(database.conninfo)
        let pool = PostgresPool(.init(connection: database, maxConnections: 1))
        try await Migrator(pool: pool).migrate()
        let folder = TestPostgres.temporaryFolder()
        let feed = folder + "/penalties.jsonl"
        let lines = ["91320102MA1XXXXX9A", "91350100M000100Y43"].enumerated().map { index, subject in
            #"{"type":"record","item":"enterprise.penalty","subject":"\#(subject)","source_record_id":"PEN-\#(index)","decision_date":"2026-11-01","fields":{"decision_no":"罚-\#(index)","authority":"南京市市场监督管理局","violation":"虚假宣传","penalty_type":"fine","amount":5000,"severity":"general"}}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: feed, atomically: true, encoding: .utf8)

        let (ended, killed) = try await pool.withConnection { holder in
            try await holder.query("SELECT pg_advisory_lock(\(RecordWriter.mergeLock))")
            let running = try ChildProcess.start(CommandLineTests.binary, [
                "ingest", feed, "--source", "jiangsu_public_credit", "--database-url", conninfo,
            ], environment: ["CREDIT_BROKER_PERSON_KEY_SECRET": String(repeating: "k", count: 32)])
            let waiting = try await eventually(within: .seconds(60), every: .milliseconds(100)) {
                try await TestPostgres.advisoryLockWaiters(on: holder) == 1
            }
            #expect(waiting, "the merge waits for the lock")
            running.signal(SIGINT)
            // Still holding the lock: a merge the signal does not stop would wait here until killed.
            let ended = await running.wait(killingAfter: .seconds(15))
            try await holder.query("SELECT pg_advisory_unlock(\(RecordWriter.mergeLock))")
            return ((ended.status, ended.output), ended.killed)
        }
        #expect(!killed, "the command ended on its own while the merge lock was held")
        #expect(ended.0 == 130, "\(ended.1)")
        #expect(ended.1.contains("interrupted (SIGINT): the batch being merged was rolled back"), "\(ended.1)")
        #expect(try await pool.query("SELECT count(*)::int FROM records")[0].decode(Int.self, at: 0) == 0)
        await pool.close()
    }
}
