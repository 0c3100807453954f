import Foundation
import Metering
import PostgresClient
import Testing

@Suite struct MeterWriterTests {
    @Test func manyConcurrentCallersShareFewTransactions() async throws {
        let pool = try await MeteringFixtures.pool()
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<500 {
                group.addTask { try await writer.record(MeteringFixtures.event()) }
            }
            try await group.waitForAll()
        }
        let statistics = writer.statistics
        await writer.close()
        #expect(try await MeteringFixtures.count(pool) == 500)
        // Every committed transaction has its own xmin: the rows tell how many there were.
        let transactions = try await MeteringFixtures.count(pool, "SELECT count(DISTINCT xmin::text) FROM meter_events")
        #expect(transactions == statistics.committedBatches)
        #expect(transactions < 250)
        #expect(statistics.committedEvents == 500 && statistics.failedBatches == 0)
        #expect(statistics.largestBatch > 1)
        await pool.close()
    }

    @Test func eventIsInTheTableWhenRecordReturns() async throws {
        let pool = try await MeteringFixtures.pool()
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        let event = MeteringFixtures.event(at: MeteringFixtures.instant("2026-05-06T01:02:03Z").addingTimeInterval(0.000_456))
        try await writer.record(event)
        // Read on a different connection, without waiting for anything.
        let reader = PostgresPool(.init(connection: pool.configuration.connection, maxConnections: 1))
        let row = try await reader.query("""
            SELECT partner_id, items_disclosed::text, items_withheld::text, http_status, latency_us, occurred_at, subject_hash
            FROM meter_events WHERE request_id = \(event.requestID)
            """)[0]
        #expect(try row.decode(String.self, at: 0) == "bank-a")
        #expect(try row.decode(String.self, at: 1) == #"["enterprise.registration", "enterprise.penalty"]"#)
        #expect(try row.decode(String.self, at: 2) == #"[{"item": "market.tax_paid", "reason": "consent_missing"}]"#)
        #expect(try row.decode(Int.self, at: 3) == 200)
        #expect(try row.decode(Int.self, at: 4) == 1_234)
        #expect(abs(try row.decode(Date.self, at: 5).timeIntervalSince(event.occurredAt)) < 0.000_001)
        #expect(try row.decode(String.self, at: 6) == event.subjectHash)
        await writer.close()
        await reader.close()
        await pool.close()
    }

    @Test func failedBatchFailsEveryCallerInIt() async throws {
        let pool = try await MeteringFixtures.pool()
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        try await pool.query("ALTER TABLE meter_events RENAME TO meter_events_away")
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    do {
                        try await writer.record(MeteringFixtures.event())
                        return false
                    } catch MeterError.commitFailed {
                        return true
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == 20)
        #expect(writer.statistics.failedEvents == 20)
        try await pool.query("ALTER TABLE meter_events_away RENAME TO meter_events")
        try await writer.record(MeteringFixtures.event())
        #expect(try await MeteringFixtures.count(pool) == 1)
        await writer.close()
        await pool.close()
    }

    @Test func closeCommitsQueuedAndHeldBackEvents() async throws {
        let pool = try await MeteringFixtures.pool()
        let writer = await MeteringFixtures.runningWriter(pool: pool, configuration: .init(maxBatchSize: 4, queueCapacity: 8))
        let locker = PostgresPool(.init(connection: pool.configuration.connection, maxConnections: 1))
        let recorders = try await locker.withConnection { connection in
            // Hold the writer's first batch on a table lock so that the rest pile up.
            try await connection.query("BEGIN")
            try await connection.query("LOCK TABLE meter_events IN EXCLUSIVE MODE")
            let recorders = (0..<50).map { _ in Task { try await writer.record(MeteringFixtures.event()) } }
            try await MeteringFixtures.eventually { writer.statistics.accepted == 50 }
            #expect(writer.backlog >= 46)
            let closing = Task { await writer.close() }
            try await Task.sleep(for: .milliseconds(50))
            #expect(try await connection.query("SELECT count(*) FROM meter_events")[0].decode(Int.self, at: 0) == 0)
            try await connection.query("COMMIT")
            await closing.value
            return recorders
        }
        for recorder in recorders { try await recorder.value }
        #expect(try await MeteringFixtures.count(pool) == 50)
        #expect(writer.statistics.largestBatch == 4)
        await #expect(throws: MeterError.self) { try await writer.record(MeteringFixtures.event()) }
        await locker.close()
        await pool.close()
    }

    @Test func duplicateRequestIDFailsOnlyItsCaller() async throws {
        let pool = try await MeteringFixtures.pool()
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        let first = MeteringFixtures.event()
        try await writer.record(first)
        let duplicate = Task { try await writer.record(first) }
        let others = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<10 { group.addTask { try await writer.record(MeteringFixtures.event()) } }
                try await group.waitForAll()
            }
        }
        let error = await #expect(throws: MeterError.self) { try await duplicate.value }
        #expect(error?.description.contains("already recorded") == true)
        try await others.value
        #expect(try await MeteringFixtures.count(pool) == 11)
        await writer.close()
        await pool.close()
    }

    @Test func invalidEventIsRefusedBeforeItJoinsABatch() async throws {
        let pool = try await MeteringFixtures.pool()
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        var event = MeteringFixtures.event()
        event.status = 42
        let status = await #expect(throws: MeteringInputError.self) { try await writer.record(event) }
        #expect(status?.field == "status")
        event = MeteringFixtures.event()
        event.subjectHash = "11010519491231002X"
        let subject = await #expect(throws: MeteringInputError.self) { try await writer.record(event) }
        #expect(subject?.field == "subjectHash")
        #expect(subject?.description.contains("11010519491231002X") == false)
        #expect(writer.statistics.accepted == 0)
        await writer.close()
        await pool.close()
    }

    @Test func ledgerRefusesUpdateDeleteAndTruncate() async throws {
        let pool = try await MeteringFixtures.pool()
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        try await writer.record(MeteringFixtures.event())
        await writer.close()
        for statement: PostgresQuery in [
            "UPDATE meter_events SET http_status = 500",
            "DELETE FROM meter_events",
            "TRUNCATE meter_events",
        ] {
            let error = await #expect(throws: PostgresError.self) { try await pool.query(statement) }
            #expect(error?.sqlState == "42501")
        }
        #expect(try await MeteringFixtures.count(pool) == 1)
        await pool.close()
    }
}
