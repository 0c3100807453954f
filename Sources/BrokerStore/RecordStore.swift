import BrokerCore
import PostgresClient

/// The read side of subjects and records: what the gateway discloses and what the change feed sends.
public struct RecordStore: Sendable {
    public let pool: PostgresPool
    /// Decides, per item, whether disputed records are flagged or withheld.
    public let catalog: Catalog
    /// Open the subject's statements kept beside confirmed records (sealed in their disputes).
    public let keys: SealingKeys

    /// One subject's lookup, waiting to join concurrent ones of the same day.
    private struct Lookup: Sendable {
        let subjectKey: String
        let items: [String]
    }

    private let lookups: BatchCoalescer<CivilDate, Lookup, [StoredRecord]>

    public init(pool: PostgresPool, catalog: Catalog, keys: SealingKeys) {
        self.pool = pool
        self.catalog = catalog
        self.keys = keys
        lookups = BatchCoalescer(maxBatch: 64) { day, lookups in
            var items: [String] = []
            for item in lookups.lazy.flatMap(\.items) where !items.contains(item) { items.append(item) }
            let records = try await Self.disclosableRecords(
                of: Array(Set(lookups.map(\.subjectKey))), items: items, on: day, pool: pool, catalog: catalog, keys: keys)
            let bySubject = Dictionary(grouping: records, by: \.subjectKey)
            return lookups.map { lookup in
                (bySubject[lookup.subjectKey] ?? []).filter { lookup.items.contains($0.item) }
            }
        }
    }

    /// The subject stored under an organisation's code.
    public func subject(_ code: UnifiedSocialCreditCode) async throws -> StoredSubject? {
        try await subject(key: code.rawValue)
    }

    /// The subject stored under a person's key.
    public func subject(_ key: PersonKey) async throws -> StoredSubject? {
        try await subject(key: key.hex)
    }

    /// The subject's records of `items` that may be disclosed on `day`, in one round trip.
    ///
    /// Repaired and withdrawn records never come back; a record comes back only inside its
    /// disclosure window; a disputed record comes back (with `isDisputed`) only for items whose
    /// catalog rule says `disputed: flag`. Ordered by item, then newest decision first.
    ///
    /// Lookups made while another is in flight share the next round trip (`BatchCoalescer`): one
    /// statement for many subjects, split again by subject and item.
    public func disclosableRecords(of subjectKey: String, items: [String], on day: CivilDate) async throws -> [StoredRecord] {
        try await lookups.submit(Lookup(subjectKey: subjectKey, items: items), in: day)
    }

    /// The disclosable records of `items` of many subjects at once (same rules as for one), in one
    /// round trip; ordered by subject key, then as for one subject.
    public func disclosableRecords(of subjectKeys: [String], items: [String], on day: CivilDate) async throws -> [StoredRecord] {
        try await Self.disclosableRecords(of: subjectKeys, items: items, on: day, pool: pool, catalog: catalog, keys: keys)
    }

    private static func disclosableRecords(
        of subjectKeys: [String], items: [String], on day: CivilDate, pool: PostgresPool, catalog: Catalog, keys: SealingKeys
    ) async throws -> [StoredRecord] {
        let flagged = items.filter { catalog.item($0)?.disclosure.disputed == .flag }
        let result = try await pool.execute(disclosable, [
            TextArrayParameter(subjectKeys), TextArrayParameter(items), TextArrayParameter(flagged), day,
        ])
        return try await withKeptStatements(try result.map(record(from:)), pool: pool, keys: keys)
    }

    /// `records` with the text of each `subject_statement` mark: the mark names its dispute, whose
    /// statement is sealed there and opened here (one more round trip, only when a record has one).
    private static func withKeptStatements(_ records: [StoredRecord], pool: PostgresPool, keys: SealingKeys) async throws -> [StoredRecord] {
        func disputeID(_ record: StoredRecord) -> String? {
            guard case .object(let mark)? = record.marks["subject_statement"], mark["text"] == nil, case .string(let id)? = mark["dispute_id"] else {
                return nil
            }
            return id
        }
        let ids = records.compactMap(disputeID)
        guard !ids.isEmpty else { return records }
        let statements = try await DisputeStore.keptStatements(ids, pool: pool, keyring: keys.keyring)
        return try records.map { record in
            guard let id = disputeID(record), case .object(var mark)? = record.marks["subject_statement"] else { return record }
            guard let text = statements[id] else {
                throw StoreInconsistency("records: the statement kept beside \(record.source)/\(record.sourceRecordID) names \(id), which holds none")
            }
            mark["text"] = .string(text)
            var marks = record.marks
            marks["subject_statement"] = .object(mark)
            return record.marked(marks)
        }
    }

    /// The subject's own view (the credit portal acting for the subject): every record of the subject
    /// that is disclosable on `day` by its item's rule, a disputed one included whatever the catalog
    /// says for others, with its marks. Ordered as `disclosableRecords`.
    public func ownRecords(of subjectKey: String, on day: CivilDate) async throws -> [StoredRecord] {
        let items = TextArrayParameter(catalog.items.map(\.id))
        let records = try await pool.execute(Self.disclosable, [TextArrayParameter([subjectKey]), items, items, day])
            .map(Self.record(from:))
        return try await Self.withKeptStatements(records, pool: pool, keys: keys)
    }

    /// Up to `limit` records of `items` changed after the cursor `sequence`, in change order.
    ///
    /// Pass the last `changeSeq` received as the next cursor (0 to start). Every insert, new
    /// version and status change moves a record to the end of the feed.
    public func changes(since sequence: Int64, items: [String], limit: Int) async throws -> [StoredRecord] {
        let result = try await pool.execute(Self.changesSince, [sequence, TextArrayParameter(items), limit])
        return try await Self.withKeptStatements(try result.map(Self.record(from:)), pool: pool, keys: keys)
    }

    /// Every version of the record `sourceRecordID` of `source` and its status events, or `nil`
    /// if the broker never stored it. The current version's marks are as stored: a kept statement's
    /// mark names its dispute (`DisputeStore` opens the statement).
    public func history(source: String, sourceRecordID: String) async throws -> RecordHistory? {
        let versions = try await pool.execute(Self.versions, [source, sourceRecordID]).map { row in
            RecordHistory.Version(
                record: try Self.record(from: row), heldFrom: try row.decode(at: 13), heldUntil: try row.decode(at: 14))
        }
        guard !versions.isEmpty else { return nil }
        let events = try await pool.execute(Self.events, [source, sourceRecordID]).map { row in
            RecordHistory.Event(kind: try row.decode(at: 0), date: try row.decode(at: 1), recordedAt: try row.decode(at: 2))
        }
        return RecordHistory(versions: versions, events: events)
    }

    private func subject(key: String) async throws -> StoredSubject? {
        let result = try await pool.execute(Self.subjectByKey, [key])
        guard result.count > 0 else { return nil }
        let row = result[0]
        return StoredSubject(
            key: key, kind: try row.decode(at: 0), displayName: try row.decode(at: 1), maskedID: try row.decode(at: 2))
    }

    private static func record(from row: PostgresRow) throws -> StoredRecord {
        StoredRecord(
            subjectKey: try row.decode(at: 0), item: try row.decode(at: 1), source: try row.decode(at: 2),
            sourceRecordID: try row.decode(at: 3), decisionDate: try row.decode(at: 4), publicityStart: try row.decode(at: 5),
            publicityEnd: try row.decode(at: 6), discloseUntil: try row.decode(at: 7), status: try row.decode(at: 8),
            fields: try row.decode(RecordFields.self, at: 9).members,
            version: try row.decode(at: 10), changeSeq: try row.decode(at: 11),
            marks: try row.decode(RecordFields?.self, at: 12)?.members ?? [:])
    }

    private static let subjectByKey = PostgresStatement(
        "SELECT kind, display_name, masked_id FROM subjects WHERE subject_key = $1")

    /// The lookup behind `disclosableRecords` (the gateway benchmark runs its text in pgbench).
    package static let disclosable = PostgresStatement("""
        SELECT subject_key, item, source, source_record_id, decision_date, publicity_start,
               publicity_end, disclose_until, status, fields, version, change_seq, marks
        FROM records
        WHERE subject_key = ANY($1::text[]) AND item = ANY($2::text[])
          AND (status = 'active' OR (status = 'disputed' AND item = ANY($3::text[])))
          AND (disclose_from IS NULL OR disclose_from <= $4::date)
          AND (disclose_until IS NULL OR disclose_until > $4::date)
        ORDER BY subject_key, item, decision_date DESC NULLS LAST, source_record_id
        """)

    private static let versions = PostgresStatement("""
        SELECT subject_key, item, source, source_record_id, decision_date, publicity_start,
               publicity_end, disclose_until, status, fields, version, change_seq, NULL::jsonb, held_from, held_until
        FROM record_versions
        WHERE source = $1 AND source_record_id = $2
        UNION ALL
        SELECT subject_key, item, source, source_record_id, decision_date, publicity_start,
               publicity_end, disclose_until, status, fields, version, change_seq, marks, changed_at, NULL
        FROM records
        WHERE source = $1 AND source_record_id = $2
        ORDER BY change_seq
        """)

    private static let events = PostgresStatement("""
        SELECT event, event_date, recorded_at FROM record_events
        WHERE source = $1 AND source_record_id = $2
        ORDER BY recorded_at, event_date, event
        """)

    private static let changesSince = PostgresStatement("""
        SELECT subject_key, item, source, source_record_id, decision_date, publicity_start,
               publicity_end, disclose_until, status, fields, version, change_seq, marks
        FROM records
        WHERE change_seq > $1 AND item = ANY($2::text[])
        ORDER BY change_seq
        LIMIT $3
        """)
}

/// A record's `fields` column (a JSON object), parsed straight into answer values.
private struct RecordFields: PostgresDecodable {
    let members: [String: AnswerValue]

    static let acceptedTypes: Set<PostgresDataType> = [.json, .jsonb]

    init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        let value: AnswerValue
        do {
            value = try AnswerValue(json: Array(bytes))
        } catch {
            throw PostgresDecodingFailure("record fields: \(error)")
        }
        guard case .object(let members) = value else { throw PostgresDecodingFailure("record fields are not a JSON object") }
        self.members = members
    }
}
