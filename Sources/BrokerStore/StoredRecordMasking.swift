import BrokerCore
import PostgresClient

/// Brings records stored before the ingest masked every masked field into the form the ingest now
/// stores (`MaskingPolicy.storedForm`): names, mobile numbers, bank cards and addresses that an
/// older ingest kept in clear, in `records` and in the insert-only `record_versions`.
///
/// Only the catalog's masked fields are rewritten (`fields || patch`), every other value stays as
/// stored; a field already in its stored form is left alone, so a second run changes nothing. Each
/// batch is one transaction that lifts, for itself only, the triggers that would otherwise copy the
/// clear row into the history (`records_keep_superseded`) or refuse to touch the history
/// (`record_versions_no_update_delete`): this needs the role that owns the schema, like `migrate`.
/// Nothing else about a record changes: not its version, status or `change_seq`, so the change
/// feed does not send it again (what it sends is masked either way).
public enum StoredRecordMasking {
    public struct Summary: Sendable, Hashable {
        /// Rows whose masked fields were rewritten.
        public var records = 0
        public var versions = 0

        public init(records: Int = 0, versions: Int = 0) {
            self.records = records
            self.versions = versions
        }
    }

    private struct Table {
        let name: String
        let trigger: String
    }

    private static let tables = [
        Table(name: "records", trigger: "records_keep_superseded"),
        Table(name: "record_versions", trigger: "record_versions_no_update_delete"),
    ]

    /// Masks every stored record and version in batches of `batchSize` rows.
    public static func run(pool: PostgresPool, catalog: Catalog, masking: MaskingPolicy, batchSize: Int = 5_000) async throws -> Summary {
        var summary = Summary()
        for table in tables {
            var last: Int64 = -1
            while true {
                let (next, changed) = try await pool.transaction { connection -> (Int64?, Int) in
                    let rows = try await connection.query("""
                        SELECT change_seq, item, fields::text FROM \(unsafeRaw: table.name)
                        WHERE change_seq > \(last) ORDER BY change_seq LIMIT \(batchSize)
                        """)
                    guard !rows.isEmpty else { return (nil, 0) }
                    var sequences: [String] = []
                    var patches: [String] = []
                    for row in rows {
                        let item: String = try row.decode(at: 1)
                        let fields: String = try row.decode(at: 2)
                        guard let patch = Self.patch(fields, item: catalog.item(item), masking: masking) else { continue }
                        sequences.append(String(try row.decode(Int64.self, at: 0)))
                        patches.append(patch)
                    }
                    if !patches.isEmpty {
                        try await connection.query("ALTER TABLE \(unsafeRaw: table.name) DISABLE TRIGGER \(unsafeRaw: table.trigger)")
                        try await connection.query("""
                            UPDATE \(unsafeRaw: table.name) AS r SET fields = r.fields || v.patch::jsonb
                            FROM unnest(\(TextArrayParameter(sequences))::text[], \(TextArrayParameter(patches))::text[]) AS v(seq, patch)
                            WHERE r.change_seq = v.seq::bigint
                            """)
                        try await connection.query("ALTER TABLE \(unsafeRaw: table.name) ENABLE TRIGGER \(unsafeRaw: table.trigger)")
                    }
                    return (try rows[rows.count - 1].decode(Int64.self, at: 0), patches.count)
                }
                if table.name == "records" { summary.records += changed } else { summary.versions += changed }
                guard let next else { break }
                last = next
            }
        }
        return summary
    }

    /// The masked fields of `fields` (a record's JSON) whose stored form differs, as a JSON object to
    /// merge over it; nil when every masked field is already in its stored form.
    static func patch(_ fields: String, item: DataItem?, masking: MaskingPolicy) -> String? {
        guard let item, case .object(let values)? = try? AnswerValue(json: fields) else { return nil }
        var patch: [String: AnswerValue] = [:]
        for field in item.fields {
            guard let rule = field.mask, case .string(let text)? = values[field.name] else { continue }
            let stored = masking.storedForm(text, rule: rule)
            if stored != text { patch[field.name] = .string(stored) }
        }
        return patch.isEmpty ? nil : String(decoding: AnswerValue.object(patch).json, as: UTF8.self)
    }
}
