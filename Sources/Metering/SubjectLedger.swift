import BrokerCore
import Foundation
import PostgresClient

/// One answer about a subject, as the meter ledger recorded it (who queried me).
public struct SubjectDisclosure: Sendable, Hashable {
    /// The meter event's position in the ledger.
    public let id: Int64
    /// `occurredAt` in whole microseconds since 1970: with `id`, the paging position.
    public let occurredMicroseconds: Int64
    public let occurredAt: Date
    public let partnerID: String
    public let requestID: String
    /// `POST /v1/queries`, `POST /v1/scores`, `/v1/batch-reviews/{id}` …
    public let endpoint: String
    public let purpose: String?
    public let disclosed: [String]
    public let withheld: [MeterEvent.Withheld]
    public let consentID: String?
    public let contractLabel: String
    public let contractDigest: String
    public let status: Int
}

/// A paged stream's deliveries of a subject's changes on one day (China time) to one partner.
public struct StreamDelivery: Sendable, Hashable {
    public enum Stream: String, Sendable, Hashable, CaseIterable {
        /// The joint-credit company's change feed (`GET /v1/changes`).
        case changes
        /// A watching partner's alerts (`GET /v1/alerts`).
        case alerts
    }

    public let day: CivilDate
    public let partnerID: String
    public let stream: Stream
    /// The items of the changes delivered, sorted.
    public let items: [String]
    /// How many of the subject's changes the day's pages delivered.
    public let deliveries: Int
}

/// What the meter ledger and the stream deliveries hold about one subject, found by the subject's
/// keyed hash (`PersonKeyHasher.meterHash`) only: the subject's side of the ledger.
public struct SubjectLedger: Sendable {
    /// The most disclosures one page returns.
    public static let maximumPage = 500

    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Up to `limit` answers about the subject that left (status below 400), newest first, from
    /// `from` until before `until`, after the paging position `before` (`occurredMicroseconds`, `id`
    /// of the last one of the previous page).
    public func disclosures(
        subjectHash: String, from: Date?, until: Date?, before: (microseconds: Int64, id: Int64)?, limit: Int
    ) async throws -> [SubjectDisclosure] {
        try await pool.query("""
            SELECT id, (extract(epoch FROM occurred_at) * 1000000)::bigint, occurred_at, partner_id, request_id, endpoint, purpose,
                   items_disclosed, items_withheld, consent_id, contract_label, contract_digest, http_status
            FROM meter_events
            WHERE subject_hash = \(subjectHash) AND http_status < 400
              AND (\(from)::timestamptz IS NULL OR occurred_at >= \(from))
              AND (\(until)::timestamptz IS NULL OR occurred_at < \(until))
              AND (\(before?.id)::bigint IS NULL
                   OR (occurred_at, id) < ('epoch'::timestamptz + \(before?.microseconds) * interval '1 microsecond', \(before?.id)))
            ORDER BY occurred_at DESC, id DESC
            LIMIT \(limit)
            """).map { row in
            SubjectDisclosure(
                id: try row.decode(at: 0), occurredMicroseconds: try row.decode(at: 1), occurredAt: try row.decode(at: 2),
                partnerID: try row.decode(at: 3), requestID: try row.decode(at: 4), endpoint: try row.decode(at: 5),
                purpose: try row.decode(at: 6), disclosed: try row.decode(PostgresJSON<[String]>.self, at: 7).value,
                withheld: try row.decode(PostgresJSON<[MeterEvent.Withheld]>.self, at: 8).value, consentID: try row.decode(at: 9),
                contractLabel: try row.decode(at: 10), contractDigest: try row.decode(at: 11), status: try row.decode(at: 12)
            )
        }
    }

    /// How many answers about one subject left one partner for one purpose, and the last one's time.
    public struct DisclosureCount: Sendable, Hashable {
        public let partnerID: String
        public let purpose: String?
        public let count: Int
        public let last: Date
    }

    /// The answers `disclosures` lists for the subject from `from` until before `until`, counted per
    /// partner and purpose (a report's query history, 查询记录), in one aggregate over the same index.
    public func disclosureCounts(subjectHash: String, from: Date, until: Date) async throws -> [DisclosureCount] {
        try await pool.query("""
            SELECT partner_id, purpose, count(*)::bigint, max(occurred_at)
            FROM meter_events
            WHERE subject_hash = \(subjectHash) AND http_status < 400 AND occurred_at >= \(from) AND occurred_at < \(until)
            GROUP BY partner_id, purpose
            ORDER BY partner_id, purpose
            """).map { row in
            DisclosureCount(
                partnerID: try row.decode(at: 0), purpose: try row.decode(at: 1), count: try row.decode(at: 2),
                last: try row.decode(at: 3)
            )
        }
    }

    /// The subject's stream deliveries from `from` to `to` (China time, both inclusive), newest day first.
    public func deliveries(subjectHash: String, from: CivilDate?, to: CivilDate?) async throws -> [StreamDelivery] {
        try await pool.query("""
            SELECT day, partner_id, stream, array_to_json(items), deliveries FROM stream_deliveries
            WHERE subject_hash = \(subjectHash) AND deliveries > 0
              AND (\(from)::date IS NULL OR day >= \(from)::date) AND (\(to)::date IS NULL OR day <= \(to)::date)
            ORDER BY day DESC, partner_id, stream
            """).map { row in
            StreamDelivery(
                day: try row.decode(at: 0), partnerID: try row.decode(at: 1), stream: try row.decode(at: 2),
                items: try row.decode(PostgresJSON<[String]>.self, at: 3).value, deliveries: try row.decode(at: 4)
            )
        }
    }

    /// One page's deliveries about one subject: its keyed hash, the changes and their items.
    public struct Delivered: Sendable, Hashable {
        public var subjectHash: String
        public var count: Int
        public var items: [String]

        public init(subjectHash: String, count: Int, items: [String]) {
            self.subjectHash = subjectHash
            self.count = count
            self.items = items
        }
    }

    /// Adds a page's deliveries to the day's counts.
    public func record(_ delivered: [Delivered], day: CivilDate, partnerID: String, stream: StreamDelivery.Stream) async throws {
        guard !delivered.isEmpty else { return }
        try await pool.query("""
            INSERT INTO stream_deliveries AS s (subject_hash, day, partner_id, stream, items, deliveries)
            SELECT d.h, \(day)::date, \(partnerID), \(stream.rawValue),
                   ARRAY(SELECT DISTINCT jsonb_array_elements_text(d.items) ORDER BY 1), d.n
            FROM jsonb_to_recordset(\(Self.json(delivered))::jsonb) AS d (h text, n int, items jsonb)
            ORDER BY d.h
            ON CONFLICT (subject_hash, day, partner_id, stream) DO UPDATE
            SET deliveries = s.deliveries + EXCLUDED.deliveries,
                items = ARRAY(SELECT DISTINCT i FROM unnest(s.items || EXCLUDED.items) AS i ORDER BY 1)
            """)
    }

    /// Takes back the counts `record` added for a page that did not leave.
    public func takeBack(_ delivered: [Delivered], day: CivilDate, partnerID: String, stream: StreamDelivery.Stream) async throws {
        guard !delivered.isEmpty else { return }
        try await pool.query("""
            UPDATE stream_deliveries s SET deliveries = greatest(s.deliveries - d.n, 0)
            FROM jsonb_to_recordset(\(Self.json(delivered))::jsonb) AS d (h text, n int, items jsonb)
            WHERE s.subject_hash = d.h AND s.day = \(day)::date AND s.partner_id = \(partnerID) AND s.stream = \(stream.rawValue)
            """)
    }

    private static func json(_ delivered: [Delivered]) -> String {
        String(decoding: AnswerValue.array(delivered.map { entry in
            .object(["h": .string(entry.subjectHash), "n": .int(Int64(entry.count)), "items": .array(entry.items.map(AnswerValue.string))])
        }).json, as: UTF8.self)
    }
}

extension StreamDelivery.Stream: PostgresTextEnum {}
