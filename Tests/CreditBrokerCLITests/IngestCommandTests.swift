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

    static let secret = ["CREDIT_BROKER_PERSON_KEY_SECRET": String(repeating: "k", count: 32)]

    /// `count` penalty lines of `jiangsu_public_credit` as JSON Lines.
    static func penalties(_ count: Int, subject: String = "91350100M000100Y43") -> String {
        (0..<count).map { index in
            #"{"type":"record","item":"enterprise.penalty","subject":"\#(subject)","source_record_id":"PEN-\#(index)","decision_date":"2026-11-01","fields":{"decision_no":"罚-\#(index)","authority":"南京市市场监督管理局","violation":"虚假宣传","penalty_type":"fine","amount":5000,"severity":"general"}}"# + "\n"
        }.joined()
    }

    /// Runs the binary with its standard output and standard error kept apart.
    static func runApart(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String, errors: String) {
        let errors = TestPostgres.temporaryFolder() + "/stderr"
        let (status, output) = try await ChildProcess.start(
            "/bin/sh", ["-c", #"exec "$0" "$@" 2>"$INGEST_TEST_STDERR""#, CommandLineTests.binary] + arguments,
            environment: environment.merging(["INGEST_TEST_STDERR": errors]) { _, new in new }
        ).wait()
        return (status, output, (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")
    }

    /// A file delivered under the wrong --source: every line refused. Before, the command exited 0
    /// and, without --rejects, said only "25 rejected" in its summary. Now the first 20 are named on
    /// standard error (file, line, field, reason; not the value), then how many more, and the
    /// status is 3; with --rejects the report lists them and the status is 3 all the same.
    @Test func rejectedLinesAreNamedAndGiveTheirOwnExitStatus() async throws {
        let database = try await TestPostgres.freshDatabase()
        let conninfo = try #require(database.conninfo)
        let folder = TestPostgres.temporaryFolder()
        let feed = folder + "/penalties.jsonl"
        try Self.penalties(25).write(toFile: feed, atomically: true, encoding: .utf8)

        let wrong = try await Self.runApart(["ingest", feed, "--source", "sushu_tax", "--database-url", conninfo], environment: Self.secret)
        #expect(wrong.status == 3, "\(wrong.output)\(wrong.errors)")
        let named = wrong.errors.split(separator: "\n").filter { $0.hasPrefix("\(feed):") }
        #expect(named.count == 20, "\(wrong.errors)")
        #expect(named.first == "\(feed):1: item: enterprise.penalty comes from source jiangsu_public_credit, not sushu_tax", "\(wrong.errors)")
        #expect(wrong.errors.contains("… and 5 more; --rejects FILE lists all"), "\(wrong.errors)")
        #expect(wrong.errors.contains("25 of 25 line(s) rejected, not loaded; no line was loaded (exit status 3)"), "\(wrong.errors)")
        #expect(!(wrong.output + wrong.errors).contains("91350100M000100Y43"))

        let report = folder + "/rejects.csv"
        let listed = try await Self.runApart(
            ["ingest", feed, "--source", "sushu_tax", "--rejects", report, "--database-url", conninfo], environment: Self.secret)
        #expect(listed.status == 3, "\(listed.output)\(listed.errors)")
        #expect(!listed.errors.contains("\(feed):1:"), "\(listed.errors)")
        #expect(listed.errors.contains("25 of 25 line(s) rejected, not loaded (listed in \(report))"), "\(listed.errors)")
        #expect(try String(contentsOfFile: report, encoding: .utf8).split(separator: "\n").count == 26)

        let right = try await Self.runApart(["ingest", feed, "--source", "jiangsu_public_credit", "--database-url", conninfo], environment: Self.secret)
        #expect(right.status == 0, "\(right.output)\(right.errors)")
    }

    /// A delivery folder as `demo-data generate` writes it: `files` (name → source and text) and
    /// their line counts in `manifest.json`, or `lines` where given.
    static func delivery(at folder: String, _ files: [String: (source: String, text: String)], lines: [String: Int] = [:]) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, file) in files { try file.text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8) }
        let counts = files.mapValues { $0.text.split(separator: "\n").count }.merging(lines) { _, given in given }
        let manifest: [String: Any] = [
            "seed": 1, "organisations": 1, "persons": 0, "as_of": "2026-11-30",
            "files": files.mapValues(\.source), "lines": counts,
        ]
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(filePath: folder + "/manifest.json"))
    }

    /// The drop folder's script (`Deploy/systemd/ingest-drop.sh`) with the real binary: a delivery
    /// with rejected lines was filed under done/ as if whole (ingest exited 0); now it goes to
    /// rejected/ with its rejects.csv, and the script exits 1.
    @Test func theDropFolderSetsAsideADeliveryWithRejectedLines() async throws {
        let database = try await TestPostgres.freshDatabase()
        let conninfo = try #require(database.conninfo)
        let spool = TestPostgres.temporaryFolder()
        try Self.delivery(at: spool + "/incoming/a-good", ["penalties.jsonl": ("jiangsu_public_credit", Self.penalties(3))])
        try Self.delivery(at: spool + "/incoming/b-wrong-source", ["penalties.jsonl": ("sushu_tax", Self.penalties(3))])
        let root = Repository.root.path
        let (status, output) = try await ChildProcess.start(
            "/bin/sh", ["-c", #"cd "$0" && exec Deploy/systemd/ingest-drop.sh "$1""#, root, spool],
            environment: Self.secret.merging([
                "CREDIT_BROKER_BIN": CommandLineTests.binary, "DATABASE_URL": conninfo, "CREDIT_BROKER_STATE_DIR": TestPostgres.temporaryFolder(),
            ]) { _, new in new }
        ).wait()
        #expect(status == 1, "\(output)")
        let done = try FileManager.default.contentsOfDirectory(atPath: spool + "/done")
        let rejected = try FileManager.default.contentsOfDirectory(atPath: spool + "/rejected")
        #expect(done.count == 1 && done[0].hasPrefix("a-good."), "\(done) \(output)")
        #expect(rejected.count == 1 && rejected[0].hasPrefix("b-wrong-source."), "\(rejected) \(output)")
        let report = try String(contentsOfFile: spool + "/rejected/" + (rejected.first ?? "") + "/rejects.csv", encoding: .utf8)
        #expect(report.split(separator: "\n").count == 4, "\(report)")
        #expect(output.contains("b-wrong-source: loaded except rejected lines, see rejected/b-wrong-source."), "\(output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool + "/incoming").isEmpty)
    }

    /// A delivery with a file cut short, cut inside a line, or missing is refused before anything of
    /// it loads. Before, the files before a missing one were loaded and the run then failed, and a
    /// file shorter than its manifest's count loaded with exit status 0.
    @Test func anIncompleteDeliveryIsRefusedBeforeAnythingLoads() async throws {
        let database = try await TestPostgres.freshDatabase()
        let conninfo = try #require(database.conninfo)
        let pool = PostgresPool(.init(connection: database, maxConnections: 1))
        try await Migrator(pool: pool).migrate()
        let penalties = ("jiangsu_public_credit", Self.penalties(3))
        let folder = TestPostgres.temporaryFolder()

        let short = folder + "/short"
        try Self.delivery(at: short, ["a.jsonl": penalties, "b.jsonl": penalties], lines: ["b.jsonl": 5])
        let cut = try await Self.runApart(["ingest", "--manifest", short + "/manifest.json", "--database-url", conninfo], environment: Self.secret)
        #expect(cut.status == 1, "\(cut.output)\(cut.errors)")
        #expect(cut.errors.contains("\(short)/b.jsonl: 3 data line(s), the manifest says 5"), "\(cut.errors)")
        #expect(cut.errors.contains("the delivery \(short)/manifest.json is not complete: nothing loaded"), "\(cut.errors)")

        let missing = folder + "/missing"
        try Self.delivery(at: missing, ["a.jsonl": penalties, "b.jsonl": penalties, "c.jsonl": penalties])
        try FileManager.default.removeItem(atPath: missing + "/c.jsonl")
        let unterminated = String(Self.penalties(3).dropLast())
        try unterminated.write(toFile: missing + "/b.jsonl", atomically: true, encoding: .utf8)
        let gone = try await Self.runApart(["ingest", "--manifest", missing + "/manifest.json", "--database-url", conninfo], environment: Self.secret)
        #expect(gone.status == 1, "\(gone.output)\(gone.errors)")
        #expect(gone.errors.contains("\(missing)/c.jsonl: no such file (the manifest lists it)"), "\(gone.errors)")
        #expect(gone.errors.contains("\(missing)/b.jsonl: the file ends inside line 3 (no line break after it): cut short"), "\(gone.errors)")
        #expect(!gone.output.contains("a.jsonl"), "\(gone.output)")

        // Files named as arguments: one missing refuses the run before the others load.
        let named = try await Self.runApart(
            ["ingest", short + "/a.jsonl", folder + "/absent.jsonl", "--source", "jiangsu_public_credit", "--database-url", conninfo],
            environment: Self.secret)
        #expect(named.status == 1, "\(named.output)\(named.errors)")
        #expect(named.errors.contains("\(folder)/absent.jsonl: no such file"), "\(named.errors)")

        #expect(try await pool.query("SELECT count(*)::int FROM records")[0].decode(Int.self, at: 0) == 0)
        await pool.close()
    }
}
