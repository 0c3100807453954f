import Foundation
import Metering
import PostgresClient
import Testing

/// A subject's disclosures (who queried me) through the subject index of `meter_events`, which
/// m0104 made a hash index: found by equality, then sorted by time and paged by position.
@Suite struct SubjectLedgerTests {
    @Test func pagesThroughOneSubjectsAnswersNewestFirstAmongOtherSubjectsEvents() async throws {
        let pool = try await MeteringFixtures.pool()
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        let subject = String(repeating: "3c", count: 32)
        let start = MeteringFixtures.instant("2026-06-01T00:00:00Z")
        var mine: [String] = []
        for minute in 0..<23 {
            var event = MeteringFixtures.event(at: start.addingTimeInterval(Double(minute) * 60))
            // Two answers in the same microsecond: the id orders them.
            if minute == 7 { event.occurredAt = start.addingTimeInterval(6 * 60) }
            event.subjectHash = subject
            try await writer.record(event)
            mine.append(event.requestID)
            // Other subjects' events between, and one of this subject that did not leave (403).
            var other = MeteringFixtures.event(at: start.addingTimeInterval(Double(minute) * 60 + 1))
            other.subjectHash = String(format: "%064x", minute + 1)
            try await writer.record(other)
        }
        var refused = MeteringFixtures.event(at: start.addingTimeInterval(3_600))
        refused.subjectHash = subject
        refused.status = 403
        try await writer.record(refused)
        await writer.close()

        let ledger = SubjectLedger(pool: pool)
        var listed: [SubjectDisclosure] = []
        var before: (microseconds: Int64, id: Int64)?
        var pages = 0
        while true {
            let page = try await ledger.disclosures(subjectHash: subject, from: nil, until: nil, before: before, limit: 5)
            listed += page
            pages += 1
            guard page.count == 5, let last = page.last else { break }
            before = (last.occurredMicroseconds, last.id)
        }
        #expect(pages == 5)
        // Every answer about the subject once, newest first; mine[6] and mine[7] share an instant, and
        // mine[7], recorded later, has the higher id, so it comes first, as in the reversed list.
        #expect(listed.map(\.requestID) == Array(mine.reversed()))
        #expect(!listed.contains { $0.requestID == refused.requestID })

        // The listing can read the subject index (its predicate and key match the query's), and the
        // index is the hash index of m0104, whose entries are hash codes rather than 64 hex digits.
        let plan = try await pool.withConnection { connection in
            try await connection.query("BEGIN")
            try await connection.query("SET LOCAL enable_seqscan = off")
            let plan = try await connection.query("""
                EXPLAIN SELECT id FROM meter_events WHERE subject_hash = \(subject) AND http_status < 400
                ORDER BY occurred_at DESC, id DESC LIMIT 5
                """).map { try $0.decode(String.self, at: 0) }.joined(separator: "\n")
            try await connection.query("ROLLBACK")
            return plan
        }
        #expect(plan.contains("meter_events_subject"))
        let index = try await pool.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'meter_events_subject'")
            .map { try $0.decode(String.self, at: 0) }
        #expect(index.count == 1 && index[0].contains("USING hash (subject_hash)"))
        await pool.close()
    }
}
