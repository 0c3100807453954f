import BrokerCore
@testable import BrokerStore
import Foundation
import Ingest
import PostgresClient
import Synchronization
import TestSupport
import Testing

/// Batches, idempotency, versions, events and person keys, against the real database.
@Suite struct MergeTests {
    static func maxChangeSeq(_ database: IngestFixture) async throws -> Int64 {
        try await database.pool.query("SELECT coalesce(max(change_seq), 0) FROM records")[0].decode(at: 0)
    }

    @Test func reingestingTheSameFileChangesNothing() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        let path = try database.write("feed.jsonl", lines: [
            IngestFixture.penalty("P1"), IngestFixture.penalty("P2"), IngestFixture.penalty("P3"),
            IngestFixture.event("disputed", "P1"), IngestFixture.event("dispute_resolved", "P1", date: "2026-07-01"),
            IngestFixture.event("repaired", "P2"),
        ])
        let (first, _) = try await database.ingest(path, batchSize: 2)
        #expect(first.inserted == 3 && first.eventsApplied == 3 && first.rejected == 0)
        let sequence = try await Self.maxChangeSeq(database)

        let (second, rejections) = try await database.ingest(path, batchSize: 2)
        #expect(rejections.isEmpty)
        #expect(second.inserted == 0 && second.updated == 0 && second.unchanged == 3)
        #expect(second.eventsApplied == 0 && second.eventsRepeated == 3)
        #expect(try await Self.maxChangeSeq(database) == sequence)
    }

    /// A delivery of stored records takes the merge path after a unique violation on its bulk copy,
    /// which the server logged with the key at fault (a USCC) and the COPY line in DETAIL and CONTEXT
    /// lines; the embedded server logs errors tersely now, and no line names the organisation.
    @Test func aRedeliveryLeavesNoIdentifierInTheServersLog() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        let code = String((0..<8).map { _ in "0123456789ABCDEFGHJKLMNPQRTUWXY".randomElement()! })
        let company = try UnifiedSocialCreditCode(type: .enterprise, division: 320102, organisationCode: code).rawValue
        let path = try database.write("feed.jsonl", lines: [IngestFixture.penalty("P-\(company)", subject: company)])
        _ = try await database.ingest(path)
        let (again, _) = try await database.ingest(path)
        #expect(again.unchanged == 1)
        guard let log = try await TestPostgres.serverLog() else { return }
        #expect(log.contains("duplicate key value violates unique constraint"), "the control: the bulk copy's violation is logged")
        #expect(!log.contains(company))
        #expect(!log.contains(code))
    }

    @Test func aNewVersionSupersedesTheStoredOne() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        _ = try await database.ingest(try database.write("a.jsonl", lines: [IngestFixture.penalty("P1")]))
        let before = try await Self.maxChangeSeq(database)
        let (summary, _) = try await database.ingest(try database.write("b.jsonl", lines: [IngestFixture.penalty("P1", amount: "7000")]))
        #expect(summary.updated == 1 && summary.inserted == 0)
        let row = try await database.pool.query("SELECT version, change_seq, fields->>'amount' FROM records")[0]
        #expect(try row.decode(Int.self, at: 0) == 2)
        #expect(try row.decode(Int64.self, at: 1) > before)
        #expect(try row.decode(String.self, at: 2) == "7000")
    }

    /// The database out of disk (or shutting down, or unreachable) is not this batch's fault: the run
    /// ends with the error instead of marking the batch's lines rejected and going on.
    @Test func aDatabaseOutOfResourcesEndsTheRunInsteadOfRejectingLines() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        try await database.pool.query("""
            CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.source_record_id = 'P3' THEN RAISE EXCEPTION 'no space left' USING ERRCODE = '53100'; END IF;
                RETURN NEW;
            END $$
            """)
        try await database.pool.query("CREATE TRIGGER disk_full BEFORE INSERT ON records FOR EACH ROW EXECUTE FUNCTION disk_full()")
        let path = try database.write("feed.jsonl", lines: (1...6).map { IngestFixture.penalty("P\($0)") })
        await #expect(throws: PostgresError.self) { _ = try await database.ingest(path, batchSize: 2) }
    }

    /// Cancelling an ingest stops the merge in flight at the server: the run ends while the merge
    /// still waits (here for the merge lock, held by another session), its transaction rolls back,
    /// and nothing of the batch is stored, not even once the lock is free.
    @Test func aCancelledIngestStopsItsMergeAndStoresNothing() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        let path = try database.write("feed.jsonl", lines: (1...3).map { IngestFixture.penalty("P\($0)") })
        let clock = ContinuousClock()
        let (endedWhileLocked, result) = try await database.pool.withConnection { holder in
            try await holder.query("SELECT pg_advisory_lock(\(RecordWriter.mergeLock))")
            let run = Task { try await database.ingest(path) }
            let waiting = try await eventually(within: .seconds(30), every: .milliseconds(50)) {
                try await TestPostgres.advisoryLockWaiters(on: holder) == 1
            }
            #expect(waiting, "the merge waits for the lock")
            let cancelled = clock.now
            run.cancel()
            let ended = Mutex<Duration?>(nil)
            let watcher = Task {
                _ = await run.result
                ended.withLock { $0 = clock.now - cancelled }
            }
            // A merge the cancellation does not reach waits for the lock: give it 10 s, then let go.
            let endedWhileLocked = try await eventually(within: .seconds(10), every: .milliseconds(100)) { ended.withLock { $0 } != nil }
            try await holder.query("SELECT pg_advisory_unlock(\(RecordWriter.mergeLock))")
            await watcher.value
            return (endedWhileLocked, await run.result)
        }
        #expect(endedWhileLocked, "the run ended while the merge lock was still held")
        #expect(throws: CancellationError.self) { _ = try result.get() }
        #expect(try await database.pool.query("SELECT count(*)::int FROM records")[0].decode(Int.self, at: 0) == 0)
    }

    @Test func aBatchTheDatabaseRefusesLeavesNothingWhileOthersCommit() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        try await database.pool.query("""
            CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.source_record_id = 'BOOM' THEN RAISE EXCEPTION 'refused'; END IF;
                RETURN NEW;
            END $$
            """)
        try await database.pool.query(
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON records FOR EACH ROW EXECUTE FUNCTION refuse_boom()")
        let path = try database.write("feed.jsonl", lines: [
            IngestFixture.penalty("P1"), IngestFixture.penalty("P2"),
            IngestFixture.penalty("P3"), IngestFixture.penalty("BOOM"),
            IngestFixture.penalty("P5"), IngestFixture.penalty("P6"),
        ])
        let (summary, rejections) = try await database.ingest(path, batchSize: 2)
        #expect(summary.failedBatches == 1 && summary.inserted == 4)
        #expect(rejections.map(\.line) == [3, 4])
        #expect(rejections.allSatisfy { $0.reason.contains("lines 3–4 rolled back") })
        let stored = try await database.pool.query("SELECT source_record_id FROM records ORDER BY 1").map { try $0.decode(String.self, at: 0) }
        #expect(stored == ["P1", "P2", "P5", "P6"])
        let subjects = try await database.pool.query("SELECT count(*) FROM subjects")[0].decode(Int.self, at: 0)
        #expect(subjects == 1)
    }

    @Test func eventsMoveTheStatusAndRepairIsFinal() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        let path = try database.write("feed.jsonl", lines: [
            IngestFixture.penalty("P1"), IngestFixture.penalty("P2"), IngestFixture.penalty("P3"), IngestFixture.penalty("P4"),
            IngestFixture.event("disputed", "P1"),
            IngestFixture.event("disputed", "P2"), IngestFixture.event("dispute_resolved", "P2", date: "2026-06-02"),
            IngestFixture.event("repaired", "P3"), IngestFixture.event("dispute_resolved", "P3", date: "2026-06-02"),
            IngestFixture.event("withdrawn", "P4"),
        ])
        let (summary, rejections) = try await database.ingest(path)
        #expect(rejections.isEmpty && summary.eventsApplied == 6)
        let statuses = try await database.pool.query("SELECT source_record_id, status FROM records ORDER BY 1")
            .map { [try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)] }
        #expect(statuses == [["P1", "disputed"], ["P2", "active"], ["P3", "repaired"], ["P4", "withdrawn"]])
    }

    @Test func personsAreKeyedByHashAndTheirNumberIsNeverStoredInClear() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        let number = IngestFixture.person
        let path = try database.write("feed.jsonl", lines: [
            #"{"type":"record","item":"person.dishonest_debtor","subject":"\#(number)","source_record_id":"D1","decision_date":"2026-01-05","fields":{"name":"欧阳娜娜","id_number":"\#(number)","case_no":"(2026)苏01执1号","court":"南京中院","amount":1200.5}}"#,
        ])
        let (summary, rejections) = try await database.ingest(path)
        #expect(rejections.isEmpty && summary.inserted == 1)
        let key = database.hasher.key(for: try ResidentIDNumber(number))
        let subject = try #require(try await database.store.subject(key))
        #expect(subject.kind == .person && subject.displayName == "欧阳**" && subject.maskedID == "110105********002X")
        let record = try #require(try await database.store.disclosableRecords(
            of: key.hex, items: ["person.dishonest_debtor"], on: CivilDate("2026-02-01")!).first)
        #expect(record.fields["id_number"] == .string("110105********002X"))
        // The name too is stored only masked, as the catalog's mask has it (MaskingAtRestTests).
        #expect(record.fields["name"] == .string("欧阳**"))
        let leaks = try await database.pool.query("""
            SELECT (SELECT count(*) FROM records WHERE fields::text LIKE '%' || \(number) || '%' OR subject_key = \(number))
                 + (SELECT count(*) FROM subjects WHERE subject_key = \(number) OR masked_id = \(number))
            """)[0].decode(Int.self, at: 0)
        #expect(leaks == 0)
    }

    @Test func aBatchWithStoredAndNewRecordsMergesBoth() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        _ = try await database.ingest(try database.write("a.jsonl", lines: [IngestFixture.penalty("P1"), IngestFixture.penalty("P2")]))
        // The new record comes first: the bulk copy takes it before it meets a stored one and is rolled back.
        let (summary, rejections) = try await database.ingest(try database.write("b.jsonl", lines: [
            IngestFixture.penalty("P3"), IngestFixture.penalty("P1", amount: "7000"), IngestFixture.penalty("P2"),
        ]))
        #expect(rejections.isEmpty)
        #expect(summary.inserted == 1 && summary.updated == 1 && summary.unchanged == 1)
        let versions = try await database.pool.query("SELECT source_record_id, version FROM records ORDER BY 1")
            .map { "\(try $0.decode(String.self, at: 0))@\(try $0.decode(Int.self, at: 1))" }
        #expect(versions == ["P1@2", "P2@1", "P3@1"])
        let history = try await database.pool.query("SELECT source_record_id, version FROM record_versions")
            .map { "\(try $0.decode(String.self, at: 0))@\(try $0.decode(Int.self, at: 1))" }
        #expect(history == ["P1@1"])
    }

    @Test func filesMergeInOrderWhileTheNextIsRead() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        let records = try database.write("a.jsonl", lines: [IngestFixture.penalty("P1"), IngestFixture.penalty("P2"), IngestFixture.penalty("P3")])
        // Events on records of the file before: they apply only if that file's last batch merged first.
        let events = try database.write("b.jsonl", lines: [IngestFixture.event("repaired", "P3"), IngestFixture.event("disputed", "P1")])
        let finished = FinishedLog()
        let total = try await database.ingestor(batchSize: 2).ingest(
            [Feed(path: records, source: "jiangsu_public_credit"), Feed(path: events, source: "jiangsu_public_credit")],
            onReject: { Issue.record("rejected line \($0.line) of \($0.file): \($0.reason)") },
            onFinished: { feed, summary in finished.append(feed.path, summary) })
        #expect(total.lines == 5 && total.inserted == 3 && total.eventsApplied == 2)
        #expect(finished.paths == [records, events])
        #expect(finished.summaries.map(\.inserted) == [3, 0] && finished.summaries.map(\.eventsApplied) == [0, 2])
        let statuses = try await database.pool.query("SELECT source_record_id, status FROM records ORDER BY 1")
            .map { "\(try $0.decode(String.self, at: 0)):\(try $0.decode(String.self, at: 1))" }
        #expect(statuses == ["P1:disputed", "P2:active", "P3:repaired"])
    }

    @Test func aFileOfUnknownFormatStopsTheRunBeforeAnyLineLoads() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        let records = try database.write("a.jsonl", lines: [IngestFixture.penalty("P1")])
        let unknown = try database.write("b.txt", lines: [IngestFixture.penalty("P2")])
        await #expect(throws: IngestError.unsupportedFormat(path: unknown)) {
            try await database.ingestor().ingest(
                [Feed(path: records, source: "jiangsu_public_credit"), Feed(path: unknown, source: "jiangsu_public_credit")],
                onReject: { _ in })
        }
        #expect(try await database.pool.query("SELECT count(*) FROM records")[0].decode(Int.self, at: 0) == 0)
    }

    @Test func aRefusedMergeKeepsTheStoredVersionAndNoHistory() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        _ = try await database.ingest(try database.write("a.jsonl", lines: [IngestFixture.penalty("P1")]))
        try await database.pool.query("""
            CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.source_record_id = 'BOOM' THEN RAISE EXCEPTION 'refused'; END IF;
                RETURN NEW;
            END $$
            """)
        try await database.pool.query(
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON records FOR EACH ROW EXECUTE FUNCTION refuse_boom()")
        let (summary, rejections) = try await database.ingest(try database.write("b.jsonl", lines: [
            IngestFixture.penalty("P1", amount: "7000"), IngestFixture.penalty("BOOM"), IngestFixture.event("repaired", "P1"),
        ]))
        #expect(summary.failedBatches == 1 && rejections.map(\.line) == [1, 2, 3])
        let row = try await database.pool.query("SELECT version, status, fields->>'amount' FROM records")[0]
        #expect(try row.decode(Int.self, at: 0) == 1 && row.decode(String.self, at: 1) == "active")
        #expect(try row.decode(String.self, at: 2) == "5000")
        #expect(try await database.pool.query("SELECT count(*) FROM record_versions")[0].decode(Int.self, at: 0) == 0)
        #expect(try await database.pool.query("SELECT count(*) FROM record_events")[0].decode(Int.self, at: 0) == 0)
    }

    @Test func aChangeFeedReaderNeverSkipsAChangeWhileFilesLoadConcurrently() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        let files = try (0..<3).map { file in
            try database.write("feed\(file).jsonl", lines: (0..<300).map { IngestFixture.penalty("F\(file)-\($0)") })
        }
        let store = database.store
        let reader = Task {
            var cursor: Int64 = 0
            var seen: [Int64] = []
            // Pages while the files load, until every record was seen (a skipped one never comes back).
            let deadline = ContinuousClock.now + .seconds(120)
            while seen.count < 900, ContinuousClock.now < deadline {
                let page = try await store.changes(since: cursor, items: ["enterprise.penalty"], limit: 37)
                seen += page.map(\.changeSeq)
                cursor = page.last?.changeSeq ?? cursor
                if page.isEmpty { try await Task.sleep(for: .milliseconds(2)) }
            }
            return seen
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for path in files {
                group.addTask { _ = try await database.ingest(path, batchSize: 7) }
            }
            try await group.waitForAll()
        }
        let seen = try await reader.value
        let stored = try await database.pool.query("SELECT change_seq FROM records ORDER BY 1").map { try $0.decode(Int64.self, at: 0) }
        #expect(stored.count == 900)
        #expect(seen == stored)
        // Each batch's changes are one unbroken run of change_seq: no batch drew while another held the lock.
        let broken = try await database.pool.query("""
            SELECT count(*) FROM (SELECT xmin::text, max(change_seq) - min(change_seq) + 1 = count(*) AS unbroken
                                  FROM records GROUP BY xmin::text) runs
            WHERE NOT unbroken
            """)[0].decode(Int.self, at: 0)
        #expect(broken == 0)
    }
}
