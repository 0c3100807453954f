import Foundation
import PostgresClient

extension AdminAuditLog {
    /// Which rows of the chain to read; every condition given must hold.
    public struct Filter: Sendable, Hashable {
        /// The actor's subject, exactly (`CN=…,OU=admin-…` or `os-account=…,host=…`).
        public var actor: String?
        /// The detail's first word: `proposed`, `approved`, `issued`, `role-not-allowed`, … (`actions()`).
        public var action: String?
        public var partner: String?
        /// From this instant (included) …
        public var from: Date?
        /// … until this one (excluded).
        public var until: Date?

        public init(actor: String? = nil, action: String? = nil, partner: String? = nil, from: Date? = nil, until: Date? = nil) {
            self.actor = actor
            self.action = action
            self.partner = partner
            self.from = from
            self.until = until
        }

        public var isEmpty: Bool { self == Filter() }
    }

    /// The detail's first word, as `Filter.action` matches it.
    static let actionSQL = "substring(detail FROM '^[a-z][a-z-]*')"

    /// Up to `limit` rows matching `filter`: after seq `since` in chain order, or, given `before`,
    /// the newest rows before that seq, newest first.
    public func records(matching filter: Filter, since: Int = 0, before: Int? = nil, limit: Int) async throws -> [AdminAuditRecord] {
        let order = before == nil ? "ASC" : "DESC"
        return try await pool.query("""
            SELECT \(unsafeRaw: Self.columns)
            FROM admin_audit
            WHERE seq > \(since) AND (\(before)::bigint IS NULL OR seq < \(before))
              AND (\(filter.actor)::text IS NULL OR actor_subject = \(filter.actor))
              AND (\(filter.action)::text IS NULL OR \(unsafeRaw: Self.actionSQL) = \(filter.action))
              AND (\(filter.partner)::text IS NULL OR target_partner = \(filter.partner))
              AND (\(filter.from)::timestamptz IS NULL OR occurred_at >= \(filter.from))
              AND (\(filter.until)::timestamptz IS NULL OR occurred_at < \(filter.until))
            ORDER BY seq \(unsafeRaw: order) LIMIT \(min(max(limit, 0), Self.maximumPage))
            """).map(Self.record)
    }

    /// Every actor that has a row, by subject.
    public func actors() async throws -> [String] {
        try await pool.query("SELECT DISTINCT actor_subject FROM admin_audit ORDER BY 1").map { try $0.decode(String.self, at: 0) }
    }

    /// Every action (a detail's first word) that has a row.
    public func actions() async throws -> [String] {
        try await pool.query("SELECT DISTINCT \(unsafeRaw: Self.actionSQL) AS a FROM admin_audit WHERE \(unsafeRaw: Self.actionSQL) IS NOT NULL ORDER BY 1")
            .map { try $0.decode(String.self, at: 0) }
    }
}
