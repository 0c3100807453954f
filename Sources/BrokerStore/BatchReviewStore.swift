import BrokerCore
import Foundation
import PostgresClient

/// Batch reviews and their per-subject results (`batch_reviews`, `batch_review_subjects`).
///
/// Reads take the partner and answer only that partner's batches. Workers in any number of
/// processes share the queue: `claim` hands each unfinished batch to one worker for a lease, which
/// `complete` extends; a batch whose worker stopped or died is claimed again once its lease ends.
/// `complete` stores only results not stored yet, so a chunk processed twice counts once.
///
/// A result is what the partner is sent for the subject, which may carry a subject's kept
/// statement: it is stored sealed (`result_sealed`, the key id in `result_key`), bound to its
/// batch and position, and opened when the partner reads it.
public struct BatchReviewStore: Sendable {
    public let pool: PostgresPool
    /// Seal the results (the newest key) and open them.
    public let keys: SealingKeys

    public init(pool: PostgresPool, keys: SealingKeys) {
        self.pool = pool
        self.keys = keys
    }

    /// Where a subject's result belongs: its partner's batch and its position. Bound into the seal,
    /// so a result copied to another subject or batch does not open.
    public static func field(partner: String, batch: String, position: Int) -> SealedField {
        SealedField(table: "batch_review_subjects", column: "result", row: "\(partner)/\(batch)/\(position)")
    }

    /// Stores a new queued batch with its subjects, in one transaction.
    public func create(
        partnerID: String, id: String, decision: String, subjects: [BatchReviewSubject], quotaDay: CivilDate, quotaMonth: CivilDate
    ) async throws {
        let rows = PostgresJSON(subjects.map(SubjectRow.init))
        try await pool.transaction { connection in
            try await connection.execute(Self.insertBatch, [
                partnerID, id, decision, subjects.count, quotaDay, quotaMonth,
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
        let keyring = keys.keyring
        return try await pool.execute(Self.selectResults, [partner, id, offset, limit]).map { row in
            try Self.result(of: row, keyring: keyring, field: Self.field(partner: partner, batch: id, position: try row.decode(at: 0)))
        }
    }

    /// A result row's JSON (`position, result::text, result_key, result_sealed`), opened if sealed.
    private static func result(of row: PostgresRow, keyring: SealingKeyring, field: SealedField) throws -> String {
        if let keyID = try row.decode(String?.self, at: 2) {
            return try keyring.open(SealedValue(keyID: keyID, bytes: try row.decode([UInt8].self, at: 3)), as: field)
        }
        // Stored by a version before migration 101, clear until `credit-broker reseal`.
        return try row.decode(String.self, at: 1)
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
            BatchReviewSubject(
                position: try row.decode(at: 0), subjectKey: try row.decode(at: 1), kind: try row.decode(at: 2), label: try row.decode(at: 3)
            )
        }
    }

    /// Stores results of subjects not stored yet, counts them as done, extends the lease by
    /// `lease` and marks the batch done when every subject is; returns the batch afterwards.
    public func complete(_ review: BatchReview, results: [BatchReviewResult], lease: Duration) async throws -> BatchReview {
        let keyring = keys.keyring
        let sealed = try results.map { result throws(SealingKeyring.Failure) in
            try ResultRow(result, sealed: keyring.seal(result.json, as: Self.field(partner: review.partnerID, batch: review.id, position: result.position)))
        }
        let rows = PostgresJSON(sealed)
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
        try await pool.withConnection { try await fail(review, reason: reason, on: $0) }
    }

    /// `fail(_:reason:)` on `connection`, in the caller's transaction (with the release of its units).
    public func fail(_ review: BatchReview, reason: String, on connection: PostgresConnection) async throws -> BatchReview? {
        try await connection.execute(Self.failBatch, [review.partnerID, review.id, reason]).first.map(Self.review(from:))
    }

    /// Seals every stored result under the newest key of `keys`, `batchSize` rows per transaction:
    /// those stored before migration 101 (clear, whose clear column it empties) and those sealed
    /// under an older key. Resumable like `DisputeStore.reseal`; it walks the table once in key order.
    public static func reseal(pool: PostgresPool, keys: SealingKeys, batchSize: Int = 500) async throws -> SealedColumns.ResealSummary {
        let keyring = keys.keyring
        let start = (partner: "", batch: "", position: -1)
        return try await SealedColumns.reseal(.batchReviewSubjects, keyID: keyring.sealingKeyID, from: start, pool: pool) { connection, after in
            let rows = try await connection.execute(resealBatch, [after.partner, after.batch, after.position, keyring.sealingKeyID, batchSize])
            guard rows.count > 0 else { return nil }
            var resealed: [ResealedResult] = [], from: [String?] = []
            for row in rows {
                let (partner, id, position): (String, String, Int) = (try row.decode(at: 4), try row.decode(at: 5), try row.decode(at: 0))
                let field = Self.field(partner: partner, batch: id, position: position)
                let sealed = try keyring.seal(try result(of: row, keyring: keyring, field: field), as: field)
                resealed.append(ResealedResult(partner: partner, batch: id, position: position, sealed: Data(sealed.bytes)))
                from.append(try row.decode(String?.self, at: 2))
            }
            try await connection.execute(resealResults, [keyring.sealingKeyID, PostgresJSON(resealed)])
            let last = resealed[resealed.count - 1]
            return (from, (last.partner, last.batch, last.position))
        }
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

    /// A result sealed again, as `resealResults` reads it (`Data` is base64 in JSON).
    private struct ResealedResult: Encodable {
        let partner: String
        let batch: String
        let position: Int
        let sealed: Data
    }

    /// The keys are the columns `storeResults` reads with `jsonb_to_recordset`.
    private struct ResultRow: Encodable {
        let position: Int
        /// The sealed result, base64 (JSONEncoder's form of `Data`).
        let sealed: Data
        let key: String
        let indicators: [String]

        init(_ result: BatchReviewResult, sealed: SealedValue) {
            position = result.position
            self.sealed = Data(sealed.bytes)
            key = sealed.keyID
            indicators = result.indicators
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        Int((duration / .milliseconds(1)).rounded(.up))
    }

    private static func review(from row: PostgresRow) throws -> BatchReview {
        BatchReview(
            partnerID: try row.decode(at: 0), id: try row.decode(at: 1), status: try row.decode(at: 2), decision: try row.decode(at: 3),
            total: try row.decode(at: 4), done: try row.decode(at: 5), quotaDay: try row.decode(at: 6), quotaMonth: try row.decode(at: 7),
            failure: try row.decode(at: 8), createdAt: try row.decode(at: 9), finishedAt: try row.decode(at: 10)
        )
    }

    // MARK: Statements

    private static let columns = """
        partner_id, id, status, decision::text, total, done, quota_day, quota_month, failure, created_at, finished_at
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
        SELECT position, result::text, result_key, result_sealed FROM batch_review_subjects
        WHERE partner_id = $1 AND batch_id = $2 AND (result IS NOT NULL OR result_sealed IS NOT NULL)
        ORDER BY position OFFSET $3 LIMIT $4
        """)

    /// The next stored results after ($1, $2, $3) in key order not sealed under the newest key $4,
    /// as `result(of:)` reads them, then their partner and batch.
    private static let resealBatch = PostgresStatement("""
        SELECT position, result::text, result_key, result_sealed, partner_id, batch_id FROM batch_review_subjects
        WHERE (partner_id, batch_id, position) > ($1, $2, $3) AND (result IS NOT NULL OR result_sealed IS NOT NULL)
            AND result_key IS DISTINCT FROM $4
        ORDER BY partner_id, batch_id, position LIMIT $5 FOR UPDATE
        """)

    /// Stores the results of a batch sealed under the newest key $1, in one statement, emptying their clear column.
    private static let resealResults = PostgresStatement("""
        UPDATE batch_review_subjects AS s SET result = NULL, result_sealed = decode(r.sealed, 'base64'), result_key = $1
        FROM jsonb_to_recordset($2::jsonb) AS r(partner text, batch text, position integer, sealed text)
        WHERE s.partner_id = r.partner AND s.batch_id = r.batch AND s.position = r.position
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
        WHERE partner_id = $1 AND batch_id = $2 AND result IS NULL AND result_sealed IS NULL
        ORDER BY position LIMIT $3
        """)

    private static let storeResults = PostgresStatement("""
        UPDATE batch_review_subjects AS s
        SET result_sealed = decode(r.sealed, 'base64'), result_key = r.key, indicators = r.indicators
        FROM jsonb_to_recordset($3::jsonb) AS r(position integer, sealed text, key text, indicators text[])
        WHERE s.partner_id = $1 AND s.batch_id = $2 AND s.position = r.position AND s.result IS NULL AND s.result_sealed IS NULL
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
