import BrokerCore
import PostgresClient

/// Partners' watchlists and the alerts drawn from changes to their watched subjects.
///
/// Every call is scoped to one partner. Changes to watched subjects are logged by triggers on
/// `records` inside the merging transaction (migration 40), so alerts page in commit order like
/// the change feed; a subject raises alerts for a partner only for changes after it was watched.
public struct WatchlistStore: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Adds `subjects` to the partner's watchlist; returns how many were not watched already.
    ///
    /// The start position is drawn under the merge lock, so a merge either committed before it
    /// (its changes are not alerted) or sees the new watch (its changes are logged).
    @discardableResult
    public func watch(_ subjects: [WatchedSubject], partnerID: String) async throws -> Int {
        guard !subjects.isEmpty else { return 0 }
        return try await pool.transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(RecordWriter.mergeLock))")
            let start = try await connection.query("SELECT nextval('record_change_seq')")[0].decode(Int64.self, at: 0)
            let result = try await connection.query("""
                INSERT INTO watchlist (partner_id, reference, subject_key, kind, label, from_seq)
                SELECT \(partnerID), reference, subject_key, kind, label, \(start)
                FROM unnest(\(TextArrayParameter(subjects.map(\.reference)))::text[],
                            \(TextArrayParameter(subjects.map(\.subjectKey)))::text[],
                            \(TextArrayParameter(subjects.map(\.kind.rawValue)))::text[],
                            \(TextArrayParameter(subjects.map(\.label)))::text[]) AS s (reference, subject_key, kind, label)
                ON CONFLICT (partner_id, reference) DO NOTHING
                """)
            return result.affectedRows
        }
    }

    /// Up to `limit` of the partner's watched subjects in order of reference, after `reference`
    /// (from the first when `nil`).
    public func subjects(partnerID: String, after reference: String? = nil, limit: Int) async throws -> [WatchedSubject] {
        let result = try await pool.query("""
            SELECT reference, subject_key, kind, label FROM watchlist
            WHERE partner_id = \(partnerID) AND (\(reference)::text IS NULL OR reference > \(reference))
            ORDER BY reference
            LIMIT \(limit)
            """)
        return try result.map { row in
            WatchedSubject(
                reference: try row.decode(at: 0), subjectKey: try row.decode(at: 1),
                kind: try row.decode(at: 2), label: try row.decode(at: 3))
        }
    }

    /// Stops watching the subject the partner knows by `reference`; `false` if it was not watched.
    @discardableResult
    public func remove(reference: String, partnerID: String) async throws -> Bool {
        try await pool.query("""
            DELETE FROM watchlist WHERE partner_id = \(partnerID) AND reference = \(reference)
            """).affectedRows > 0
    }

    /// Up to `limit` alerts for the partner after the cursor `sequence`, in commit order: changes to
    /// its watched subjects' records, its consents revoked by their subjects or an administrator,
    /// and its quotas reaching 80 % and 100 % (`QuotaAlertStore`).
    ///
    /// Only changes to records of `items` count; a new record counts only for `listingItems`.
    /// Pass the last alert's `changeSeq` as the next cursor (0 to start).
    public func alerts(
        partnerID: String, since sequence: Int64, items: [String], listingItems: [String], limit: Int
    ) async throws -> [StoredAlert] {
        let result = try await pool.query("""
            (SELECT c.change_seq, w.reference, w.subject_key, w.kind, w.label, c.item, c.change, c.recorded_on,
                    NULL::text AS consent_id, NULL::text AS reason, NULL::text AS quota_period, NULL::date AS period_start,
                    NULL::integer AS threshold, NULL::bigint AS quota_limit, NULL::bigint AS quota_used
             FROM watchlist w
             JOIN watched_changes c ON c.subject_key = w.subject_key AND c.change_seq > w.from_seq
             WHERE w.partner_id = \(partnerID) AND c.change_seq > \(sequence)
               AND c.item = ANY(\(TextArrayParameter(items))::text[])
               AND (c.change <> 'listed' OR c.item = ANY(\(TextArrayParameter(listingItems))::text[]))
             ORDER BY c.change_seq
             LIMIT \(limit))
            UNION ALL
            (SELECT a.change_seq, '', a.subject_key, a.subject_kind, a.subject_label, NULL, a.change, a.recorded_on,
                    a.consent_id, a.reason, a.quota_period, a.period_start, a.threshold::integer, a.quota_limit, a.quota_used
             FROM partner_alerts a
             WHERE a.partner_id = \(partnerID) AND a.change_seq > \(sequence)
             ORDER BY a.change_seq
             LIMIT \(limit))
            ORDER BY 1
            LIMIT \(limit)
            """)
        return try result.map { row in
            var quota: StoredAlert.Quota?
            if let period = try row.decode(String?.self, at: 10) {
                quota = StoredAlert.Quota(
                    period: period, periodStart: try row.decode(at: 11), threshold: try row.decode(at: 12), limit: try row.decode(at: 13), used: try row.decode(at: 14)
                )
            }
            let subject = try row.decode(String?.self, at: 2).map { key in
                WatchedSubject(reference: try row.decode(at: 1), subjectKey: key, kind: try row.decode(at: 3), label: try row.decode(at: 4))
            }
            return StoredAlert(
                changeSeq: try row.decode(at: 0), subject: subject, item: try row.decode(at: 5), change: try row.decode(at: 6), recordedOn: try row.decode(at: 7),
                consentID: try row.decode(at: 8), reason: try row.decode(at: 9), quota: quota)
        }
    }
}
