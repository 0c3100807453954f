import Foundation
import PostgresClient

/// The admin audit chain in `admin_audit`: append a request's entry, read the chain, verify it.
public struct AdminAuditLog: Sendable {
    /// A place where the chain does not hold.
    public struct Break: Sendable, Hashable, CustomStringConvertible {
        public let seq: Int
        public let reason: String

        public var description: String { "the audit chain breaks at seq \(seq): \(reason)" }
    }

    /// Every break `verify()` found, in seq order: a change at one row does not hide a later one.
    public struct Broken: Error, Sendable, Hashable, CustomStringConvertible {
        public let breaks: [Break]
        /// The rows read.
        public let rows: Int

        public var description: String {
            "the audit chain is broken in \(breaks.count) place\(breaks.count == 1 ? "" : "s") (\(rows) rows read):\n"
                + breaks.map { "  \($0)" }.joined(separator: "\n")
        }
    }

    /// A row the database stored otherwise than it was hashed: the append is rolled back.
    public struct NotStoredAsHashed: Error, Sendable, CustomStringConvertible {
        public var description: String { "the audit row read back differs from the row hashed; nothing was appended" }
    }

    /// The most rows `records(since:limit:)` returns at once.
    public static let maximumPage = 1_000

    /// Serialises appends across connections and processes ("admin_audit").
    private static let lockKey: Int64 = 0x6164_6D69_6E5F_6175

    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Appends `entry` as the chain's next row, in a transaction of its own.
    @discardableResult
    public func append(_ entry: AdminAuditEntry, at time: Date = Date()) async throws -> AdminAuditRecord {
        try await pool.transaction { try await Self.append(entry, at: time, on: $0) }
    }

    /// Runs `action` in a transaction and appends the entry made from its result in the same
    /// transaction: what the action writes on the connection commits only with its row, and the
    /// row only with it. If `action` throws, nothing is written and its error is rethrown.
    public func recording<T: Sendable>(
        _ action: (PostgresConnection) async throws -> T, entry: (T) -> AdminAuditEntry
    ) async throws -> T {
        try await pool.transaction { connection in
            let result = try await action(connection)
            try await Self.append(entry(result), at: Date(), on: connection)
            return result
        }
    }

    /// Appends `entry` within the connection's transaction, holding the chain's advisory lock until
    /// it ends: concurrent appends (from any process) wait, then link to the row committed before,
    /// with the digest the chain's first row records.
    @discardableResult
    public static func append(_ entry: AdminAuditEntry, at time: Date, on connection: PostgresConnection) async throws -> AdminAuditRecord {
        try await append(entry, at: time, starting: nil, on: connection)
    }

    /// Appends `entry`; on an empty chain, as its first row recording `starting` (nil: SHA-256, unrecorded).
    @discardableResult
    private static func append(
        _ entry: AdminAuditEntry, at time: Date, starting: AuditDigest?, on connection: PostgresConnection
    ) async throws -> AdminAuditRecord {
        let microseconds = Int64((time.timeIntervalSince1970 * 1_000_000).rounded())
        try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))")
        let last = try await connection.query("""
            SELECT seq, hash, (SELECT digest FROM admin_audit WHERE seq = 1) FROM admin_audit ORDER BY seq DESC LIMIT 1
            """).first
        let digest: AuditDigest? = last == nil ? starting : nil
        let chain = try last.map { try Self.digest(try $0.decode(String?.self, at: 2)) } ?? starting ?? .sha256
        let record = AdminAuditRecord(
            seq: try last.map { try $0.decode(Int.self, at: 0) + 1 } ?? 1,
            microseconds: microseconds, entry: entry, digest: digest,
            previous: try last.map { try $0.decode(String.self, at: 1) } ?? AdminAuditRecord.genesis, chain: chain
        )
        let stored = try await connection.query("""
            INSERT INTO admin_audit (seq, occurred_at, actor_fingerprint, actor_subject, role, method, path,
                                     target_partner, status, detail, via, digest, hash)
            VALUES (\(record.seq), timestamptz '1970-01-01 00:00:00+00' + \(microseconds)::bigint * interval '1 microsecond',
                    \(entry.actorFingerprint), \(entry.actorSubject), \(entry.role), \(entry.method), \(entry.path),
                    \(entry.targetPartner), \(entry.status), \(entry.detail), \(entry.via), \(digest?.rawValue), \(record.hash))
            RETURNING \(unsafeRaw: Self.columns)
            """).map(Self.record)
        // What verify will read must be what was hashed; otherwise the row would break the chain for good.
        guard stored == [record] else { throw NotStoredAsHashed() }
        return record
    }

    /// The installation's chain digest is other than asked for: it was chosen when the chain started.
    public struct DigestMismatch: Error, Sendable, CustomStringConvertible {
        public let chain: AuditDigest
        public let asked: AuditDigest

        public var description: String {
            "the admin audit chain links its rows with \(chain.title) since its first row; an installation chooses its digest "
                + "once, before that row, so \(asked.title) cannot be asked for now"
        }
    }

    /// Makes sure the chain links with `digest`: on an empty chain, appends `entry` as its first row
    /// recording the choice (a SHA-256 chain needs no such row: it is what a chain without one
    /// links with); on a started chain, checks that it links with `digest`.
    /// - Throws: `DigestMismatch` when the chain links with another digest.
    public func start(linkingWith digest: AuditDigest, entry: AdminAuditEntry, at time: Date = Date()) async throws {
        try await pool.transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))")
            let first = try await connection.query("SELECT digest FROM admin_audit WHERE seq = 1").first
            if let first {
                let chain = try Self.digest(try first.decode(String?.self, at: 0))
                guard chain == digest else { throw DigestMismatch(chain: chain, asked: digest) }
            } else if digest != .sha256 {
                try await Self.append(entry, at: time, starting: digest, on: connection)
            }
        }
    }

    /// The digest the chain links with (SHA-256 for an empty chain or one whose first row records none).
    public func digest() async throws -> AuditDigest {
        try Self.digest(try await pool.query("SELECT digest FROM admin_audit WHERE seq = 1").first?.decode(String?.self, at: 0))
    }

    private static func digest(_ stored: String?) throws -> AuditDigest {
        guard let stored else { return .sha256 }
        guard let digest = AuditDigest(rawValue: stored) else { throw UnknownDigest(stored: stored) }
        return digest
    }

    /// A first row that records a digest this version does not know.
    struct UnknownDigest: Error, CustomStringConvertible {
        let stored: String
        var description: String { "the admin audit chain's first row records a digest this version does not know (\(stored))" }
    }

    /// Up to `limit` rows after `seq`, in chain order.
    public func records(since seq: Int, limit: Int) async throws -> [AdminAuditRecord] {
        try await pool.query("""
            SELECT \(unsafeRaw: Self.columns)
            FROM admin_audit WHERE seq > \(seq) ORDER BY seq LIMIT \(min(max(limit, 0), Self.maximumPage))
            """).map(Self.record)
    }

    /// The columns `record(_:)` reads, in its order.
    static let columns = """
        seq, (extract(epoch FROM occurred_at) * 1000000)::bigint, actor_fingerprint, actor_subject, role,
        method, path, target_partner, status, detail, hash, via, digest
        """

    static func record(_ row: PostgresRow) throws -> AdminAuditRecord {
        AdminAuditRecord(
            seq: try row.decode(at: 0), microseconds: try row.decode(at: 1),
            entry: AdminAuditEntry(
                actorFingerprint: try row.decode(at: 2), actorSubject: try row.decode(at: 3), role: try row.decode(at: 4),
                method: try row.decode(at: 5), path: try row.decode(at: 6), targetPartner: try row.decode(at: 7),
                status: try row.decode(at: 8), detail: try row.decode(at: 9), via: try row.decode(at: 11)
            ),
            digest: try (try row.decode(String?.self, at: 12)).map { try Self.digest($0) },
            storedHash: try row.decode(at: 10)
        )
    }

    /// Recomputes every hash from the stored rows, reading the whole chain whatever it finds: each
    /// row is checked against the stored hash of the row before it, so a changed row breaks at its
    /// own seq and the check goes on to find any later change, gap or reordering.
    /// - Returns: the number of rows, all linked.
    /// - Throws: `Broken`, listing every row that is missing, out of place, or whose hash does not follow.
    @discardableResult
    public func verify() async throws -> Int {
        var previous = AdminAuditRecord.genesis
        var expected = 1
        var rows = 0
        var breaks: [Break] = []
        var since = 0
        // The chain's digest is its first row's; if that row is gone, the break says so and the rest
        // is checked with the digest a first row that records none means.
        var chain = AuditDigest.sha256
        while true {
            let page = try await records(since: since, limit: Self.maximumPage)
            for record in page {
                if record.seq == 1 { chain = record.digest ?? .sha256 }
                if record.seq > expected {
                    let missing = record.seq - 1 == expected ? "row \(expected) is missing" : "rows \(expected)…\(record.seq - 1) are missing"
                    breaks.append(Break(seq: expected, reason: missing))
                }
                if !record.isLinked(to: previous, chain: chain) {
                    breaks.append(Break(seq: record.seq, reason: "its hash is not \(chain.title) of the previous hash and the row as stored"))
                }
                previous = record.hash
                expected = record.seq + 1
                since = record.seq
                rows += 1
            }
            if page.count < Self.maximumPage { break }
        }
        guard breaks.isEmpty else { throw Broken(breaks: breaks, rows: rows) }
        return rows
    }
}
