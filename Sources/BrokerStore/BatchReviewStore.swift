import BrokerCore
import Foundation
import PostgresClient

/// Batch reviews and their per-subject results (`batch_reviews`, `batch_review_subjects`).
///
/// Reads take the partner and answer only that partner's batches. Workers in any number of
/// processes share the queue: `claim` hands each unfinished batch to one worker for a lease, which
/// `complete` extends; a batch whose worker stopped or died is claimed again once its lease ends.
/// `complete` stores only results not stored yet, so a chunk processed twice counts once.
public struct BatchReviewStore: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Stores a new queued batch with its subjects, in one transaction.
    public func create(
        partnerID: String, id: String, decision: String, subjects: [BatchReviewSubject], quotaDay: CivilDate, quotaMonth: CivilDate
    ) async throws {
        let rows = String(decoding: try JSONEncoder().encode(subjects.map(SubjectRow.init)), as: UTF8.self)
        try await pool.transaction { connection in
            try await connection.execute(Self.insertBatch, [
                partnerID, id, decision, subjects.count, quotaDay.description, quotaMonth.description,
            ])
            try await connection.execute(Self.insertSubjects, [partnerID, id, rows])
        }
    }

    /// The partner's batch with this id; `nil` if the partner has none (another partner's id included).
    public func review(partner: String, id: String) async throws -> BatchReview? {
        try await pool.execute(Self.selectBatch, [partner, id]).first.map(Self.review(from:))
    }

    /// Stored results of processed subjects in list order, skipping `offset` of them.
    public func results(partner: String, id: String, offset: Int, limit: Int) async throws -> [String] {
        try await pool.execute(Self.selectResults, [partner, id, offset, limit]).map { try $0.decode(String.self, at: 0) }
    }

    /// How many processed subjects showed each indicator.
    public func indicatorCounts(partner: String, id: String) async throws -> [String: Int] {
        let rows = try await pool.execute(Self.countIndicators, [partner, id])
        return try Dictionary(uniqueKeysWithValues: rows.map { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) })
    }

    /// Takes the oldest queued batch, or a running one whose lease ended, for `lease`.
    public func claim(lease: Duration) async throws -> BatchReview? {
        try await pool.execute(Self.claimBatch, [Self.milliseconds(lease)]).first.map(Self.review(from:))
    }

    /// Up to `limit` unprocessed subjects of the batch, in list order.
    public func pending(_ review: BatchReview, limit: Int) async throws -> [BatchReviewSubject] {
        try await pool.execute(Self.selectPending, [review.partnerID, review.id, limit]).map { row in
            let kind = try row.decode(String.self, at: 2)
            guard let subjectKind = SubjectKind(rawValue: kind) else {
                throw PostgresError(.decoding, "batch_review_subjects.kind holds an unknown kind '\(kind)'")
            }
            return BatchReviewSubject(
                position: try row.decode(at: 0), subjectKey: try row.decode(at: 1), kind: subjectKind, label: try row.decode(at: 3)
            )
        }
    }

    /// Stores results of subjects not stored yet, counts them as done, extends the lease by
    /// `lease` and marks the batch done when every subject is; returns the batch afterwards.
    public func complete(_ review: BatchReview, results: [BatchReviewResult], lease: Duration) async throws -> BatchReview {
        let rows = String(decoding: try JSONEncoder().encode(results.map(ResultRow.init)), as: UTF8.self)
        return try await pool.transaction { connection in
            let stored = try await connection.execute(Self.storeResults, [review.partnerID, review.id, rows]).count
            return try Self.review(from: try await connection.execute(Self.countDone, [
                review.partnerID, review.id, stored, Self.milliseconds(lease),
            ])[0])
        }
    }

    /// Gives up the lease so that another worker (or this one after a restart) takes the batch at once.
    public func release(_ review: BatchReview) async throws {
        try await pool.query("""
            UPDATE batch_reviews SET lease_until = NULL
            WHERE partner_id = \(review.partnerID) AND id = \(review.id) AND status = 'running'
            """)
    }

    /// Counts a failed attempt and gives up the lease; returns how many attempts have failed.
    public func recordFailure(_ review: BatchReview) async throws -> Int {
        try await pool.query("""
            UPDATE batch_reviews SET failures = failures + 1, lease_until = NULL
            WHERE partner_id = \(review.partnerID) AND id = \(review.id) RETURNING failures
            """)[0].decode(Int.self, at: 0)
    }

    /// Marks an unfinished batch failed; returns it afterwards, or `nil` if it had finished meanwhile.
    public func fail(_ review: BatchReview, reason: String) async throws -> BatchReview? {
        try await pool.execute(Self.failBatch, [review.partnerID, review.id, reason]).first.map(Self.review(from:))
    }

    // MARK: Rows

    /// The keys are the columns `insertSubjects` reads with `jsonb_to_recordset`.
    private struct SubjectRow: Encodable {
        let position: Int
        let subjectKey: String
        let kind: String
        let label: String

        enum CodingKeys: String, CodingKey { case position, subjectKey = "subject_key", kind, label }

        init(_ subject: BatchReviewSubject) {
            position = subject.position
            subjectKey = subject.subjectKey
            kind = subject.kind.rawValue
            label = subject.label
        }
    }

    /// The keys are the columns `storeResults` reads with `jsonb_to_recordset`.
    private struct ResultRow: Encodable {
        let position: Int
        let result: String
        let indicators: [String]

        init(_ result: BatchReviewResult) {
            position = result.position
            self.result = result.json
            indicators = result.indicators
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        Int((duration / .milliseconds(1)).rounded(.up))
    }

    private static func review(from row: PostgresRow) throws -> BatchReview {
        func date(_ column: Int) throws -> CivilDate {
            let text = try row.decode(String.self, at: column)
            guard let day = CivilDate(text) else { throw PostgresError(.decoding, "column \(column) is not a date") }
            return day
        }
        let status = try row.decode(String.self, at: 2)
        guard let reviewStatus = BatchReview.Status(rawValue: status) else {
            throw PostgresError(.decoding, "batch_reviews.status holds an unknown status '\(status)'")
        }
        return BatchReview(
            partnerID: try row.decode(at: 0), id: try row.decode(at: 1), status: reviewStatus, decision: try row.decode(at: 3),
            total: try row.decode(at: 4), done: try row.decode(at: 5), quotaDay: try date(6), quotaMonth: try date(7),
            failure: try row.decode(at: 8), createdAt: try row.decode(at: 9), finishedAt: try row.decode(at: 10)
        )
    }

    // MARK: Statements

    private static let columns = """
        partner_id, id, status, decision::text, total, done, quota_day::text, quota_month::text, failure, created_at, finished_at
        """

    private static let insertBatch = PostgresStatement("""
        INSERT INTO batch_reviews (partner_id, id, decision, total, quota_day, quota_month)
        VALUES ($1, $2, $3::jsonb, $4, $5::date, $6::date)
        """)

    private static let insertSubjects = PostgresStatement("""
        INSERT INTO batch_review_subjects (partner_id, batch_id, position, subject_key, kind, label)
        SELECT $1, $2, s.position, s.subject_key, s.kind, s.label
        FROM jsonb_to_recordset($3::jsonb) AS s(position integer, subject_key text, kind text, label text)
        """)

    private static let selectBatch = PostgresStatement(unsafeSQL: """
        SELECT \(columns) FROM batch_reviews WHERE partner_id = $1 AND id = $2
        """)

    private static let selectResults = PostgresStatement("""
        SELECT result::text FROM batch_review_subjects
        WHERE partner_id = $1 AND batch_id = $2 AND result IS NOT NULL
        ORDER BY position OFFSET $3 LIMIT $4
        """)

    private static let countIndicators = PostgresStatement("""
        SELECT indicator, count(*)::bigint
        FROM batch_review_subjects, unnest(indicators) AS indicator
        WHERE partner_id = $1 AND batch_id = $2
        GROUP BY indicator
        """)

    private static let claimBatch = PostgresStatement(unsafeSQL: """
        UPDATE batch_reviews SET status = 'running', lease_until = now() + $1 * interval '1 millisecond'
        FROM (
            SELECT partner_id AS next_partner, id AS next_id FROM batch_reviews
            WHERE status = 'queued' OR (status = 'running' AND (lease_until IS NULL OR lease_until < now()))
            ORDER BY created_at
            LIMIT 1
            FOR UPDATE SKIP LOCKED
        ) AS next
        WHERE partner_id = next_partner AND id = next_id
        RETURNING \(columns)
        """)

    private static let selectPending = PostgresStatement("""
        SELECT position, subject_key, kind, label FROM batch_review_subjects
        WHERE partner_id = $1 AND batch_id = $2 AND result IS NULL
        ORDER BY position LIMIT $3
        """)

    private static let storeResults = PostgresStatement("""
        UPDATE batch_review_subjects AS s SET result = r.result::jsonb, indicators = r.indicators
        FROM jsonb_to_recordset($3::jsonb) AS r(position integer, result text, indicators text[])
        WHERE s.partner_id = $1 AND s.batch_id = $2 AND s.position = r.position AND s.result IS NULL
        RETURNING s.position
        """)

    private static let countDone = PostgresStatement(unsafeSQL: """
        UPDATE batch_reviews
        SET done = done + $3,
            lease_until = now() + $4 * interval '1 millisecond',
            status = CASE WHEN done + $3 = total THEN 'done' ELSE status END,
            finished_at = CASE WHEN done + $3 = total THEN now() ELSE finished_at END
        WHERE partner_id = $1 AND id = $2
        RETURNING \(columns)
        """)

    private static let failBatch = PostgresStatement(unsafeSQL: """
        UPDATE batch_reviews SET status = 'failed', failure = $3, lease_until = NULL, finished_at = now()
        WHERE partner_id = $1 AND id = $2 AND status IN ('queued', 'running')
        RETURNING \(columns)
        """)
}
