import BrokerCore
import PostgresClient

/// The write side of records: merges a batch of staged lines in one transaction.
///
/// A batch is all or nothing: it commits whole or leaves nothing behind. Merges are serialised by
/// a transaction-level advisory lock taken before the first `change_seq` is drawn, so sequence
/// order is commit order and the change feed never skips a change. Under that lock, a batch none
/// of whose records is stored yet is copied straight into `records` (the bulk path of a first
/// load, tried under a savepoint); any other batch goes through a temporary staging table and one
/// set-based merge. Every version a merge or an event replaces is kept in `record_versions` (by a
/// trigger, in the same statement).
public struct RecordWriter: Sendable {
    /// What merging one batch did.
    public struct Outcome: Sendable, Hashable {
        /// Records stored for the first time.
        public var inserted = 0
        /// Records whose new version differed from the stored one.
        public var updated = 0
        /// Records identical to the stored version (nothing written, no `change_seq` drawn for them).
        public var unchanged = 0
        /// Record lines overtaken by a later line of the same record in the same batch.
        public var supersededInBatch = 0
        /// Events not seen before, now recorded.
        public var eventsApplied = 0
        /// Events already recorded earlier.
        public var eventsRepeated = 0
        /// Lines of events that name no stored record of their subject and item.
        public var unknownEventLines: [Int] = []

        public init() {}
    }

    /// The database refused a batch's data (a constraint, a trigger, a value out of range): the
    /// batch left nothing behind, and only its lines are lost; the next batch may be merged. Any
    /// other failure (the database unreachable, shutting down or out of resources) is thrown as it
    /// is and ends the run.
    public struct BatchRefused: Error, Sendable, Hashable {
        /// The refusal's SQLSTATE.
        public let sqlState: String?
    }

    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Merges `records` and then applies `events` (in line order) for `source`, in one transaction.
    /// If the calling task is cancelled, the statement running is stopped at the server and the
    /// transaction rolls back (all or nothing either way); the error is then `BatchRefused` with
    /// SQLSTATE 57014, and the caller, knowing it was cancelled, says so.
    public func merge(records: [StagedRecord], events: [StagedEvent], source: String) async throws -> Outcome {
        do {
            return try await PostgresCancellation.stoppingStatements {
                try await mergeOnce(records: records, events: events, source: source)
            }
        } catch let error as PostgresError where error.kind == .server && !error.isUnavailability {
            throw BatchRefused(sqlState: error.sqlState)
        }
    }

    private func mergeOnce(records: [StagedRecord], events: [StagedEvent], source: String) async throws -> Outcome {
        var outcome = Outcome()
        let latest = Self.latestPerRecord(records)
        outcome.supersededInBatch = records.count - latest.count
        let subjectRows = Self.subjectCopyText(latest)
        let recordRows = Self.copyText(latest, source: source)
        let (eventRows, rounds) = Self.copyText(events, source: source)

        return try await pool.transaction { connection in
            if !latest.isEmpty {
                try await connection.query(Self.createStagedSubjects)
                _ = try await connection.copyFromStdin(Self.copySubjects) { try $0.write(subjectRows) }
            }
            if !events.isEmpty {
                try await connection.query(Self.createStagedEvents)
                _ = try await connection.copyFromStdin(Self.copyEvents) { try $0.write(eventRows) }
            }
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.mergeLock))")
            if !latest.isEmpty {
                try await connection.query(Self.upsertSubjects)
                if let copied = try await Self.copyIfAllNew(recordRows, on: connection) {
                    outcome.inserted = copied
                } else {
                    try await connection.query(Self.createStagedRecords)
                    _ = try await connection.copyFromStdin(Self.copyStagedRecords) { try $0.write(recordRows) }
                    let counts = try await connection.query(Self.mergeRecords)[0]
                    outcome.inserted = try counts.decode(at: 0)
                    outcome.updated = try counts.decode(at: 1)
                }
                outcome.unchanged = latest.count - outcome.inserted - outcome.updated
            }
            guard !events.isEmpty else { return outcome }
            outcome.unknownEventLines = try await connection.query(Self.unknownEvents)
                .map { try $0.decode(Int.self, at: 0) }
            for round in 1...rounds {
                let applied = try await connection.query(Self.applyEvents(round: round))[0]
                outcome.eventsApplied += try applied.decode(Int.self, at: 0)
            }
            outcome.eventsRepeated = events.count - outcome.unknownEventLines.count - outcome.eventsApplied
            return outcome
        }
    }

    /// The advisory-lock key every merge holds until it commits.
    static let mergeLock = 0x4352_4244  // "CRBD"

    /// The bulk path: copies the rows straight into `records` if none of them is stored yet and
    /// returns how many were copied; `nil` (nothing kept) when one is stored already.
    ///
    /// Trying is cheaper than asking first: a probe of every row's key costs as much as the index
    /// lookups the `COPY` makes anyway, and a batch of stored records fails on its first row.
    private static func copyIfAllNew(_ rows: [UInt8], on connection: PostgresConnection) async throws -> Int? {
        try await connection.query("SAVEPOINT bulk_copy")
        do {
            let copied = try await connection.copyFromStdin(copyRecords) { try $0.write(rows) }
            try await connection.query("RELEASE SAVEPOINT bulk_copy")
            return copied
        } catch let error as PostgresError where error.kind == .server && error.sqlState == uniqueViolation {
            try await connection.query("ROLLBACK TO SAVEPOINT bulk_copy")
            return nil
        }
    }

    /// SQLSTATE `unique_violation`.
    private static let uniqueViolation = "23505"

    /// The last line of each record: one statement cannot insert and then update the same row.
    private static func latestPerRecord(_ records: [StagedRecord]) -> [StagedRecord] {
        var positions: [String: Int] = [:]
        var latest: [StagedRecord] = []
        latest.reserveCapacity(records.count)
        for record in records {
            if let position = positions[record.sourceRecordID] {
                latest[position] = record
            } else {
                positions[record.sourceRecordID] = latest.count
                latest.append(record)
            }
        }
        return latest
    }

    /// The batch's subjects, one row each: of a subject's lines, the last one that names it (else its last line).
    private static func subjectCopyText(_ records: [StagedRecord]) -> [UInt8] {
        var positions: [String: Int] = [:]
        var chosen: [StagedRecord] = []
        for record in records {
            if let position = positions[record.subjectKey] {
                if record.subjectName != nil || chosen[position].subjectName == nil { chosen[position] = record }
            } else {
                positions[record.subjectKey] = chosen.count
                chosen.append(record)
            }
        }
        var buffer = CopyTextBuffer(reservingCapacity: chosen.count * 120)
        for record in chosen {
            buffer.append(record.subjectKey)
            buffer.append(record.subjectKind.rawValue)
            buffer.append(record.subjectName)
            buffer.append(record.subjectMaskedID)
            buffer.endRow()
        }
        return buffer.bytes
    }

    /// The records' rows in the columns of `recordColumns`.
    private static func copyText(_ records: [StagedRecord], source: String) -> [UInt8] {
        var buffer = CopyTextBuffer(reservingCapacity: records.count * 320)
        for record in records {
            buffer.append(record.subjectKey)
            buffer.append(record.item)
            buffer.append(source)
            buffer.append(record.sourceRecordID)
            for date in [record.decisionDate, record.publicityStart, record.publicityEnd, record.discloseFrom, record.discloseUntil] {
                buffer.append(date?.description)
            }
            buffer.append(record.fieldsJSON)
            buffer.endRow()
        }
        return buffer.bytes
    }

    /// The events' rows, each with its round: the n-th event of a record in this batch goes in
    /// round n, so that one statement per round applies a record's events in line order.
    private static func copyText(_ events: [StagedEvent], source: String) -> (rows: [UInt8], rounds: Int) {
        var buffer = CopyTextBuffer(reservingCapacity: events.count * 120)
        var seen: [String: Int] = [:]
        var rounds = 0
        for event in events.sorted(by: { $0.line < $1.line }) {
            let round = seen[event.sourceRecordID, default: 0] + 1
            seen[event.sourceRecordID] = round
            rounds = max(rounds, round)
            buffer.append(event.line)
            buffer.append(round)
            buffer.append(event.subjectKey)
            buffer.append(event.item)
            buffer.append(source)
            buffer.append(event.sourceRecordID)
            buffer.append(event.kind.rawValue)
            buffer.append(event.date.description)
            buffer.endRow()
        }
        return (buffer.bytes, rounds)
    }

    private static let createStagedSubjects: PostgresQuery = """
        CREATE TEMP TABLE staged_subjects (subject_key text, kind text, display_name text, masked_id text) ON COMMIT DROP
        """

    private static let createStagedRecords: PostgresQuery = """
        CREATE TEMP TABLE staged_records (
            subject_key text, item text, source text, source_record_id text, decision_date date, publicity_start date,
            publicity_end date, disclose_from date, disclose_until date, fields jsonb
        ) ON COMMIT DROP
        """

    private static let createStagedEvents: PostgresQuery = """
        CREATE TEMP TABLE staged_events (
            line int, round int, subject_key text, item text, source text, source_record_id text, event text, event_date date
        ) ON COMMIT DROP
        """

    /// The columns of a record row, in `records` and in `staged_records` alike.
    private static let recordColumns = """
        subject_key, item, source, source_record_id, decision_date, publicity_start, publicity_end, disclose_from,
        disclose_until, fields
        """

    private static let copySubjects: PostgresQuery =
        "COPY staged_subjects (subject_key, kind, display_name, masked_id) FROM STDIN"

    private static let copyStagedRecords: PostgresQuery = "COPY staged_records (\(unsafeRaw: recordColumns)) FROM STDIN"

    private static let copyEvents: PostgresQuery =
        "COPY staged_events (line, round, subject_key, item, source, source_record_id, event, event_date) FROM STDIN"

    /// The bulk path: rows straight into `records`, each drawing its `change_seq` from the column default.
    private static let copyRecords: PostgresQuery = "COPY records (\(unsafeRaw: recordColumns)) FROM STDIN"

    /// New subjects, and names or masked IDs that changed; a line without a name keeps the stored one.
    /// Subjects already stored as given are filtered out first: `ON CONFLICT DO UPDATE` would lock
    /// (and so write) each of them even when its `WHERE` leaves the row alone.
    private static let upsertSubjects: PostgresQuery = """
        INSERT INTO subjects AS s (subject_key, kind, display_name, masked_id)
        SELECT g.subject_key, g.kind, g.display_name, g.masked_id
        FROM staged_subjects g LEFT JOIN subjects stored ON stored.subject_key = g.subject_key
        WHERE stored.subject_key IS NULL
           OR (g.display_name IS NOT NULL AND g.display_name IS DISTINCT FROM stored.display_name)
           OR (g.masked_id IS NOT NULL AND g.masked_id IS DISTINCT FROM stored.masked_id)
        ON CONFLICT (subject_key) DO UPDATE
        SET display_name = coalesce(EXCLUDED.display_name, s.display_name),
            masked_id = coalesce(EXCLUDED.masked_id, s.masked_id),
            updated_at = now()
        WHERE (EXCLUDED.display_name IS NOT NULL AND EXCLUDED.display_name IS DISTINCT FROM s.display_name)
           OR (EXCLUDED.masked_id IS NOT NULL AND EXCLUDED.masked_id IS DISTINCT FROM s.masked_id)
        """

    /// Inserts new records and supersedes changed ones (the trigger keeps the replaced version);
    /// returns (inserted, updated).
    private static let mergeRecords: PostgresQuery = """
        WITH merged AS (
            INSERT INTO records AS r (\(unsafeRaw: recordColumns), change_seq)
            SELECT \(unsafeRaw: recordColumns), nextval('record_change_seq')
            FROM staged_records
            ON CONFLICT (source, source_record_id) DO UPDATE
            SET subject_key = EXCLUDED.subject_key, item = EXCLUDED.item, decision_date = EXCLUDED.decision_date,
                publicity_start = EXCLUDED.publicity_start, publicity_end = EXCLUDED.publicity_end,
                disclose_from = EXCLUDED.disclose_from, disclose_until = EXCLUDED.disclose_until,
                fields = EXCLUDED.fields, version = r.version + 1, change_seq = EXCLUDED.change_seq, changed_at = now()
            WHERE (r.subject_key, r.item, r.decision_date, r.publicity_start, r.publicity_end, r.disclose_from,
                   r.disclose_until, r.fields)
                  IS DISTINCT FROM
                  (EXCLUDED.subject_key, EXCLUDED.item, EXCLUDED.decision_date, EXCLUDED.publicity_start,
                   EXCLUDED.publicity_end, EXCLUDED.disclose_from, EXCLUDED.disclose_until, EXCLUDED.fields)
            RETURNING r.version
        )
        SELECT count(*) FILTER (WHERE version = 1)::int, count(*) FILTER (WHERE version > 1)::int FROM merged
        """

    // The event statements join records on the staged rows' own (source, source_record_id), not on
    // `source = $1`: with statistics taken before a source's first load, the planner took that
    // condition for a handful of rows and scanned every record of the source once per staged event
    // (10 s for 558 events of a 1,000,000-record load). Joined this way, `records` is estimated at
    // its size and probed through its unique key.

    private static let unknownEvents: PostgresQuery = """
        SELECT e.line FROM staged_events e
        WHERE NOT EXISTS (
            SELECT 1 FROM records r
            WHERE r.source = e.source AND r.source_record_id = e.source_record_id
              AND r.subject_key = e.subject_key AND r.item = e.item)
        ORDER BY e.line
        """

    /// Records the round's new events and moves their records' status; returns the events recorded.
    private static func applyEvents(round: Int) -> PostgresQuery {
        """
        WITH fresh AS (
            INSERT INTO record_events (source, source_record_id, event, event_date)
            SELECT r.source, r.source_record_id, e.event, e.event_date
            FROM staged_events e
            JOIN records r ON r.source = e.source AND r.source_record_id = e.source_record_id
                          AND r.subject_key = e.subject_key AND r.item = e.item
            WHERE e.round = \(round)
            ON CONFLICT DO NOTHING
            RETURNING source, source_record_id, event
        ), moved AS (
            UPDATE records r
            SET status = record_status_after(r.status, f.event), change_seq = nextval('record_change_seq'), changed_at = now()
            FROM fresh f
            WHERE r.source = f.source AND r.source_record_id = f.source_record_id
              AND record_status_after(r.status, f.event) <> r.status
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM fresh)::int, (SELECT count(*) FROM moved)::int
        """
    }
}
