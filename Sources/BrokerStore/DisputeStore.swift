import BrokerCore
import Foundation
import PostgresClient

/// A dispute (异议) filed through the credit portal on one record of a subject.
public struct StoredDispute: Sendable, Hashable {
    public enum State: String, Sendable, Hashable, CaseIterable {
        case open
        case resolved
    }

    /// How the data source answered.
    public enum Outcome: String, Sendable, Hashable, CaseIterable {
        /// A new version of the record replaced the disputed one.
        case corrected
        /// The record is kept as it is (the subject's statement beside it if the subject asked).
        case confirmed
        /// The record is withdrawn and no longer disclosed.
        case withdrawn
    }

    /// Where the answer came from.
    public enum Channel: String, Sendable, Hashable {
        /// The next line of the source's feed for the record.
        case feed
        /// A security administrator, through the admin API.
        case admin
    }

    public let id: String
    /// The subject key (USCC or person-key hex): never shown as such to anyone but the broker.
    public let subjectKey: String
    public let item: String
    public let source: String
    public let sourceRecordID: String
    /// The version of the record disputed.
    public let recordVersion: Int
    /// The portal partner that filed it.
    public let filedBy: String
    public let reason: String
    public let statement: String?
    /// Whether the statement stays beside the record if the dispute is confirmed.
    public let keepStatement: Bool
    public let filedAt: Date
    /// The day of filing, China time.
    public let filedOn: CivilDate
    /// The last day of the answer (China time): `DisputeStore.answerDays` calendar days after filing.
    public let deadline: CivilDate
    public let state: State
    public let outcome: Outcome?
    public let resolvedAt: Date?
    public let resolvedVia: Channel?
    public let resolutionNote: String?
    /// The dispute's position in the sources' dispute feed (moves with each change).
    public let feedSeq: Int64

    /// Whether the dispute is still open after its deadline on `day` (China time).
    public func isOverdue(on day: CivilDate) -> Bool { state == .open && day > deadline }
}

/// Disputes in `disputes` (migrations 80 and 91), and the marks they put on their records.
///
/// Filing marks the record at once (status `disputed`, `marks.dispute`), in the transaction that
/// stores the dispute, under the merge lock: the next answer to anyone shows the mark, the record
/// moves to the end of the change feed and banks watching the subject get a `disputed` alert. The
/// source's next feed line for the record answers it (the `records_answer_dispute` trigger); a
/// security administrator may answer it through the admin API (`resolve`).
///
/// The subject's words (reason, statement) and the answer's note are sealed at rest under the
/// newest sealing key (`SealingKeyring`), the key's id beside them; every read opens them. A row
/// filed before migration 91 is clear until `reseal` seals it.
public struct DisputeStore: Sendable {
    /// An answer is due within this many calendar days of filing (China time).
    public static let answerDays = 20
    /// The longest reason or statement, in characters.
    public static let maximumText = 2_000

    /// Why a dispute cannot be filed or resolved.
    public enum Refusal: Error, Sendable, Hashable {
        /// The subject has no record with this source and id (or it belongs to another subject).
        case recordNotFound
        /// The record is repaired or withdrawn: nothing is disclosed to dispute.
        case recordClosed
        /// A dispute on the record is open already.
        case alreadyOpen(id: String)
        case disputeNotFound
        case alreadyResolved(StoredDispute.Outcome)
        /// A correction is a new version of the record, which only the source's feed brings.
        case correctionNeedsFeed
    }

    /// What the portal files for a subject.
    public struct Filing: Sendable {
        public var subjectKey: String
        public var source: String
        public var sourceRecordID: String
        public var reason: String
        public var statement: String?
        public var keepStatement: Bool
        public var filedBy: String

        public init(
            subjectKey: String, source: String, sourceRecordID: String, reason: String, statement: String?, keepStatement: Bool, filedBy: String
        ) {
            self.subjectKey = subjectKey
            self.source = source
            self.sourceRecordID = sourceRecordID
            self.reason = reason
            self.statement = statement
            self.keepStatement = keepStatement
            self.filedBy = filedBy
        }
    }

    public let pool: PostgresPool
    /// The keys that seal new text and open stored text.
    public let keys: SealingKeys

    public init(pool: PostgresPool, keys: SealingKeys) {
        self.pool = pool
        self.keys = keys
    }

    /// A fresh dispute id: `dp_` and 32 hex digits.
    public static func newID() -> String { RandomIdentifier.make(prefix: "dp_") }

    /// Files `filing` at `instant` and marks its record, in one transaction.
    /// - Throws: `Refusal.recordNotFound`, `.recordClosed`, `.alreadyOpen`.
    public func file(_ filing: Filing, at instant: Date) async throws -> StoredDispute {
        let filedOn = CivilDate(instant)
        let deadline = filedOn.adding(days: Self.answerDays)
        let keyring = keys.keyring
        return try await pool.transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(RecordWriter.mergeLock))")
            let found = try await connection.query("""
                SELECT status, version, marks -> 'dispute' ->> 'id', item FROM records
                WHERE source = \(filing.source) AND source_record_id = \(filing.sourceRecordID) AND subject_key = \(filing.subjectKey)
                FOR UPDATE
                """)
            guard let record = found.first else { throw Refusal.recordNotFound }
            let status = try record.decode(String.self, at: 0)
            guard status == "active" || status == "disputed" else { throw Refusal.recordClosed }
            if let open = try record.decode(String?.self, at: 2) { throw Refusal.alreadyOpen(id: open) }
            let id = Self.newID()
            let reason = try keyring.seal(filing.reason, as: Self.field(.reason, of: id))
            let statement = try filing.statement.map { text throws(SealingKeyring.Failure) in
                try keyring.seal(text, as: Self.field(.statement, of: id))
            }
            let stored = try await connection.query("""
                INSERT INTO disputes (dispute_id, subject_key, item, source, source_record_id, record_version, filed_by, sealing_key,
                                      reason_sealed, statement_sealed, keep_statement, filed_at, filed_on, deadline, feed_seq)
                VALUES (\(id), \(filing.subjectKey), \(try record.decode(String.self, at: 3)), \(filing.source), \(filing.sourceRecordID),
                        \(try record.decode(Int.self, at: 1)), \(filing.filedBy), \(reason.keyID), \(reason.bytes), \(statement?.bytes),
                        \(filing.keepStatement), \(instant), \(filedOn)::date, \(deadline)::date, nextval('record_change_seq'))
                RETURNING \(unsafeRaw: Self.columns)
                """)
            let mark = #"{"dispute":{"id":"\#(id)","filed":"\#(filedOn)","deadline":"\#(deadline)"}}"#
            try await connection.query("""
                UPDATE records
                SET status = 'disputed', marks = coalesce(marks, '{}'::jsonb) || \(mark)::jsonb,
                    change_seq = nextval('record_change_seq'), changed_at = now()
                WHERE source = \(filing.source) AND source_record_id = \(filing.sourceRecordID)
                """)
            try await connection.query("""
                INSERT INTO record_events (source, source_record_id, event, event_date)
                VALUES (\(filing.source), \(filing.sourceRecordID), 'disputed', \(filedOn)::date)
                ON CONFLICT DO NOTHING
                """)
            return try Self.dispute(stored[0], keyring: keyring)
        }
    }

    /// Answers dispute `id` as `outcome` (confirmed or withdrawn) at `instant`, on `connection`
    /// (the admin request's audit transaction): the record's mark comes off in the same
    /// transaction; a confirmed record is active again with the subject's statement beside it if
    /// the subject asked (the mark names the dispute; the statement stays sealed in it), a
    /// withdrawn one is disclosed no more. The note is sealed with the dispute's other text, all
    /// under the newest key.
    /// - Throws: `Refusal.disputeNotFound`, `.alreadyResolved`, `.correctionNeedsFeed`.
    public static func resolve(
        _ id: String, as outcome: StoredDispute.Outcome, note: String, at instant: Date, keys: SealingKeys, on connection: PostgresConnection
    ) async throws -> StoredDispute {
        guard outcome != .corrected else { throw Refusal.correctionNeedsFeed }
        let keyring = keys.keyring
        try await connection.query("SELECT pg_advisory_xact_lock(\(RecordWriter.mergeLock))")
        guard let row = try await connection.query("SELECT \(unsafeRaw: columns) FROM disputes WHERE dispute_id = \(id) FOR UPDATE").first else {
            throw Refusal.disputeNotFound
        }
        let dispute = try Self.dispute(row, keyring: keyring)
        if let answered = dispute.outcome { throw Refusal.alreadyResolved(answered) }
        let day = CivilDate(instant).description
        let statement: String = if outcome == .confirmed, dispute.keepStatement, dispute.statement != nil {
            String(decoding: AnswerValue.object(["subject_statement": .object([
                "dispute_id": .string(id), "date": .string(day),
            ])]).json, as: UTF8.self)
        } else {
            "{}"
        }
        let withdraw = outcome == .withdrawn
        try await connection.query("""
            UPDATE records
            SET status = CASE WHEN \(withdraw) THEN 'withdrawn' WHEN status = 'disputed' THEN 'active' ELSE status END,
                marks = nullif((coalesce(marks, '{}'::jsonb) - 'dispute') || \(statement)::jsonb, '{}'::jsonb),
                change_seq = nextval('record_change_seq'), changed_at = now()
            WHERE source = \(dispute.source) AND source_record_id = \(dispute.sourceRecordID)
            """)
        try await connection.query("""
            INSERT INTO record_events (source, source_record_id, event, event_date)
            VALUES (\(dispute.source), \(dispute.sourceRecordID), \(withdraw ? "withdrawn" : "dispute_resolved"), \(day)::date)
            ON CONFLICT DO NOTHING
            """)
        let sealed = try Sealed(dispute, note: note.isEmpty ? nil : note, keyring: keyring)
        let updated = try await connection.query("""
            UPDATE disputes
            SET state = 'resolved', outcome = \(outcome.rawValue), resolved_at = \(instant), resolved_via = 'admin',
                reason = NULL, statement = NULL, resolution_note = NULL, sealing_key = \(sealed.keyID), reason_sealed = \(sealed.reason),
                statement_sealed = \(sealed.statement), resolution_note_sealed = \(sealed.note), feed_seq = nextval('record_change_seq')
            WHERE dispute_id = \(id)
            RETURNING \(unsafeRaw: columns)
            """)
        return try Self.dispute(updated[0], keyring: keyring)
    }

    /// The dispute `id`, if there is one.
    public func dispute(_ id: String) async throws -> StoredDispute? {
        let keyring = keys.keyring
        return try await pool.query("SELECT \(unsafeRaw: Self.columns) FROM disputes WHERE dispute_id = \(id)").first.map {
            try Self.dispute($0, keyring: keyring)
        }
    }

    /// Every dispute about the subject, newest first.
    public func disputes(ofSubject subjectKey: String) async throws -> [StoredDispute] {
        let keyring = keys.keyring
        return try await pool.query("""
            SELECT \(unsafeRaw: Self.columns) FROM disputes WHERE subject_key = \(subjectKey) ORDER BY filed_at DESC, dispute_id
            """).map { try Self.dispute($0, keyring: keyring) }
    }

    /// Up to `limit` disputes on `source`'s records changed after the feed position `sequence`, in
    /// commit order, each at its latest state (pass the last `feedSeq` as the next cursor).
    public func feed(source: String, since sequence: Int64, limit: Int) async throws -> [StoredDispute] {
        let keyring = keys.keyring
        return try await pool.query("""
            SELECT \(unsafeRaw: Self.columns) FROM disputes WHERE source = \(source) AND feed_seq > \(sequence) ORDER BY feed_seq LIMIT \(limit)
            """).map { try Self.dispute($0, keyring: keyring) }
    }

    /// Up to `limit` disputes, oldest deadline first: open ones (`state`), of one source, or only
    /// those overdue on `overdueOn`.
    public func list(state: StoredDispute.State?, source: String?, overdueOn: CivilDate?, limit: Int) async throws -> [StoredDispute] {
        let state = state?.rawValue
        let overdue = overdueOn
        let keyring = keys.keyring
        return try await pool.query("""
            SELECT \(unsafeRaw: Self.columns) FROM disputes
            WHERE (\(state)::text IS NULL OR state = \(state)) AND (\(source)::text IS NULL OR source = \(source))
              AND (\(overdue)::date IS NULL OR (state = 'open' AND deadline < \(overdue)::date))
            ORDER BY deadline, filed_at, dispute_id
            LIMIT \(limit)
            """).map { try Self.dispute($0, keyring: keyring) }
    }

    /// How many disputes are open (and how many of them overdue) on `day`, China time.
    public static func openCounts(on day: CivilDate, pool: PostgresPool) async throws -> (open: Int, overdue: Int) {
        let row = try await pool.query("""
            SELECT count(*)::int, (count(*) FILTER (WHERE deadline < \(day)::date))::int FROM disputes WHERE state = 'open'
            """)[0]
        return (try row.decode(at: 0), try row.decode(at: 1))
    }

    // MARK: Sealed text

    /// The columns that hold a dispute's text, sealed (`<name>_sealed`) or, before `reseal`, clear.
    enum TextColumn: String, CaseIterable {
        case reason
        case statement
        case resolutionNote = "resolution_note"
    }

    static func field(_ column: TextColumn, of id: String) -> SealedField {
        SealedField(table: "disputes", column: column.rawValue, row: id)
    }

    /// A dispute's text sealed under the newest key.
    private struct Sealed {
        let keyID: String
        let reason: [UInt8]
        let statement: [UInt8]?
        let note: [UInt8]?

        init(_ dispute: StoredDispute, note: String?, keyring: SealingKeyring) throws(SealingKeyring.Failure) {
            keyID = keyring.sealingKeyID
            reason = try keyring.seal(dispute.reason, as: DisputeStore.field(.reason, of: dispute.id)).bytes
            statement = try dispute.statement.map { text throws(SealingKeyring.Failure) in
                try keyring.seal(text, as: DisputeStore.field(.statement, of: dispute.id)).bytes
            }
            self.note = try note.map { text throws(SealingKeyring.Failure) in
                try keyring.seal(text, as: DisputeStore.field(.resolutionNote, of: dispute.id)).bytes
            }
        }
    }

    /// The statements of the confirmed disputes `ids` whose subjects asked them kept beside their
    /// records (what a record's `subject_statement` mark names), by dispute id, opened with `keyring`.
    public static func keptStatements(_ ids: [String], pool: PostgresPool, keyring: SealingKeyring) async throws -> [String: String] {
        let rows = try await pool.query("""
            SELECT dispute_id, sealing_key, statement, statement_sealed FROM disputes
            WHERE dispute_id = ANY(\(TextArrayParameter(ids))::text[]) AND keep_statement
            """)
        var statements: [String: String] = [:]
        for row in rows {
            let id: String = try row.decode(at: 0)
            if let keyID = try row.decode(String?.self, at: 1) {
                guard let sealed = try row.decode([UInt8]?.self, at: 3) else { continue }
                statements[id] = try keyring.open(SealedValue(keyID: keyID, bytes: sealed), as: field(.statement, of: id))
            } else if let clear = try row.decode(String?.self, at: 2) {
                statements[id] = clear
            }
        }
        return statements
    }

    /// Seals every dispute's text under the newest key of `keys`, `batchSize` disputes per
    /// transaction: those clear (filed before migration 91, whose clear columns it empties) and those
    /// sealed under an older key. Each batch commits on its own, so an interrupted run is resumed by
    /// running it again, and a run with nothing left to do changes nothing. A value that does not
    /// open stops it with the dispute and column named (the batches before it stay committed).
    /// Run it once every gateway seals with the same newest key (else one would seal with the
    /// older key again).
    public static func reseal(pool: PostgresPool, keys: SealingKeys, batchSize: Int = 500) async throws -> SealedColumns.ResealSummary {
        let keyring = keys.keyring
        let newest = keyring.sealingKeyID
        return try await SealedColumns.reseal(.disputes, keyID: newest, from: "", pool: pool) { connection, after in
            let rows = try await connection.query("""
                SELECT \(unsafeRaw: columns) FROM disputes WHERE dispute_id > \(after) AND sealing_key IS DISTINCT FROM \(newest)
                ORDER BY dispute_id LIMIT \(batchSize) FOR UPDATE
                """)
            guard rows.count > 0 else { return nil }
            var from: [String?] = [], resealed: [ResealedDispute] = []
            for row in rows {
                let dispute = try Self.dispute(row, keyring: keyring)
                resealed.append(ResealedDispute(id: dispute.id, try Sealed(dispute, note: dispute.resolutionNote, keyring: keyring)))
                from.append(try row.decode(String?.self, at: sealingKeyColumn))
            }
            try await connection.execute(resealDisputes, [newest, PostgresJSON(resealed)])
            return (from, resealed[resealed.count - 1].id)
        }
    }

    /// A dispute's text sealed again, as `resealDisputes` reads it (`Data` is base64 in JSON).
    private struct ResealedDispute: Encodable {
        let id: String
        let reason: Data
        let statement: Data?
        let note: Data?

        init(id: String, _ sealed: Sealed) {
            self.id = id
            reason = Data(sealed.reason)
            statement = sealed.statement.map { Data($0) }
            note = sealed.note.map { Data($0) }
        }
    }

    /// Stores a batch of disputes sealed under the newest key $1, their clear columns emptied, in one statement.
    private static let resealDisputes = PostgresStatement("""
        UPDATE disputes AS d
        SET reason = NULL, statement = NULL, resolution_note = NULL, sealing_key = $1,
            reason_sealed = decode(r.reason, 'base64'), statement_sealed = decode(r.statement, 'base64'),
            resolution_note_sealed = decode(r.note, 'base64')
        FROM jsonb_to_recordset($2::jsonb) AS r(id text, reason text, statement text, note text)
        WHERE d.dispute_id = r.id
        """)

    private static let columns = """
        dispute_id, subject_key, item, source, source_record_id, record_version, filed_by, reason, statement, keep_statement,
        filed_at, filed_on, deadline, state, outcome, resolved_at, resolved_via, resolution_note, feed_seq,
        sealing_key, reason_sealed, statement_sealed, resolution_note_sealed
        """
    private static let sealingKeyColumn = 19

    private static func dispute(_ row: PostgresRow, keyring: SealingKeyring) throws -> StoredDispute {
        let id: String = try row.decode(at: 0)
        let keyID = try row.decode(String?.self, at: sealingKeyColumn)
        /// The text of `column`: opened if the row is sealed, else as stored.
        func text(_ column: TextColumn, clear: Int, sealed: Int) throws -> String? {
            guard let keyID else { return try row.decode(String?.self, at: clear) }
            return try row.decode([UInt8]?.self, at: sealed).map { bytes in
                try keyring.open(SealedValue(keyID: keyID, bytes: bytes), as: field(column, of: id))
            }
        }
        guard let reason = try text(.reason, clear: 7, sealed: 20) else { throw StoreInconsistency("disputes.reason of \(id) is missing") }
        return StoredDispute(
            id: id, subjectKey: try row.decode(at: 1), item: try row.decode(at: 2), source: try row.decode(at: 3),
            sourceRecordID: try row.decode(at: 4), recordVersion: try row.decode(at: 5), filedBy: try row.decode(at: 6),
            reason: reason, statement: try text(.statement, clear: 8, sealed: 21), keepStatement: try row.decode(at: 9),
            filedAt: try row.decode(at: 10), filedOn: try row.decode(at: 11), deadline: try row.decode(at: 12), state: try row.decode(at: 13),
            outcome: try row.decode(at: 14), resolvedAt: try row.decode(at: 15),
            resolvedVia: try row.decode(at: 16), resolutionNote: try text(.resolutionNote, clear: 17, sealed: 22),
            feedSeq: try row.decode(at: 18)
        )
    }
}
