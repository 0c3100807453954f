import PostgresClient

/// Every column that holds values sealed with the sealing keys (`SealingKeyring`), each with the
/// column beside it that names the key:
///
/// | table | sealed | key id |
/// |---|---|---|
/// | `disputes` | `reason_sealed`, `statement_sealed`, `resolution_note_sealed` | `sealing_key` |
/// | `idempotency_keys` | `response_body` (when `response_key` is set) | `response_key` |
/// | `batch_review_subjects` | `result_sealed` | `result_key` |
/// | `consents` | `revocation_note_sealed` | `revocation_note_key` |
///
/// Each store seals and opens its own columns; `credit-broker reseal` moves all of them to the newest key.
public enum SealedColumns {
    /// The ids of the keys that sealed a value the database holds: every one must stay configured
    /// until `credit-broker reseal` has moved its values to the newest key.
    public static func keyIDsInUse(pool: PostgresPool) async throws -> Set<String> {
        Set(try await pool.query("""
            SELECT sealing_key FROM disputes WHERE sealing_key IS NOT NULL
            UNION SELECT response_key FROM idempotency_keys WHERE response_key IS NOT NULL
            UNION SELECT result_key FROM batch_review_subjects WHERE result_key IS NOT NULL
            UNION SELECT revocation_note_key FROM consents WHERE revocation_note_key IS NOT NULL
            """).map { try $0.decode(String.self, at: 0) })
    }

    /// Walks `table` once in key order, a transaction a batch, from `start`: `batch` reseals the
    /// rows after its cursor and returns the key each was sealed under (`nil`: clear) and the last
    /// one's cursor, or `nil` when none is left. Each batch commits on its own, so an interrupted run
    /// resumes by running again; afterwards the table is vacuumed if clear rows were sealed.
    public static func reseal<Cursor: Sendable>(
        _ table: Table, keyID: String, from start: Cursor, pool: PostgresPool,
        batch: (PostgresConnection, Cursor) async throws -> (from: [String?], last: Cursor)?
    ) async throws -> ResealSummary {
        var summary = ResealSummary(table: table, keyID: keyID)
        var cursor = start
        while let done = try await pool.transaction({ [cursor] in try await batch($0, cursor) }) {
            for key in done.from { summary.count(from: key) }
            cursor = done.last
        }
        try await summary.vacuumIfClearWasSealed(pool: pool)
        return summary
    }

    /// The tables whose sealed values `credit-broker reseal` moves to the newest key.
    public enum Table: String, Sendable, CaseIterable {
        case disputes
        case idempotencyKeys = "idempotency_keys"
        case batchReviewSubjects = "batch_review_subjects"
        case consents
    }

    /// What resealing one table did.
    public struct ResealSummary: Sendable, Hashable {
        public let table: Table
        /// Rows whose values are now sealed under `keyID`.
        public var resealed = 0
        /// How many of them were clear (written before their table was sealed).
        public var fromClear = 0
        /// How many were sealed under each older key.
        public var fromKeys: [String: Int] = [:]
        /// The key that sealed them: the newest.
        public let keyID: String
        /// Whether the table was vacuumed afterwards (the old row versions, clear ones among them,
        /// made reclaimable): only the table's owner may, and only when clear rows were sealed.
        public var vacuumed = false

        public init(table: Table, keyID: String) {
            self.table = table
            self.keyID = keyID
        }

        /// Counts a row resealed from `key` (`nil`: from clear).
        public mutating func count(from key: String?) {
            resealed += 1
            if let key { fromKeys[key, default: 0] += 1 } else { fromClear += 1 }
        }

        /// After the last batch: vacuums the table if clear rows were sealed and this role owns it.
        mutating func vacuumIfClearWasSealed(pool: PostgresPool) async throws {
            guard fromClear > 0 else { return }
            let owner = try await pool.query("SELECT pg_has_role(relowner, 'MEMBER') FROM pg_class WHERE oid = \(table.rawValue)::regclass")
            guard try owner[0].decode(Bool.self, at: 0) else { return }
            try await pool.query("VACUUM \(unsafeRaw: table.rawValue)")
            vacuumed = true
        }
    }
}
