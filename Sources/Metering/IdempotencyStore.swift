import Foundation
import PostgresClient

/// Partner-scoped idempotency keys in PostgreSQL (`idempotency_keys`).
///
/// A request with an `Idempotency-Key` calls `begin` first. On `.new` it runs, and its response is
/// stored with its meter event (`MeterWriter.record(_:completing:)`); if it fails before that, it
/// calls `abandon` so that a retry may run. A claim left behind by a crashed process lapses after
/// `claimLease`. Keys of different partners never meet: the partner is part of the key. A key is
/// stored only as its keyed hash (`IdempotencyKey`), never as the text the partner sent.
public struct IdempotencyStore: Sendable {
    public let pool: PostgresPool
    /// How long an unfinished claim blocks retries (`.inProgress`) before a retry may take it over.
    public let claimLease: Duration
    /// The gateway process that claims keys through this store (`idempotency_keys.process_id`): its
    /// unfinished claims are released as soon as it is known to be gone (`QuotaHoldSweep`).
    public let holder: String?

    public init(pool: PostgresPool, claimLease: Duration = .seconds(120), holder: String? = nil) {
        self.pool = pool
        self.claimLease = claimLease
        self.holder = holder
    }

    /// Claims `key` for this request, or reports what an earlier request with the key left.
    /// - Parameter requestHash: a digest of what makes the request (method, path, body), e.g. SHA-256 hex.
    public func begin(partner: String, key: IdempotencyKey, requestHash: String) async throws -> IdempotencyOutcome {
        try Self.checkPartner(partner)
        try MeteringInputError.checkText(requestHash, "requestHash", maximum: 200)
        while true {
            let claimed = try await pool.execute(Self.claim, [partner, key.digest, requestHash, claimLease.microseconds, holder])
            if claimed.count == 1 { return .new }
            let rows = try await pool.execute(Self.lookup, [partner, key.digest])
            // The row vanished in between (abandoned or purged): try to claim it again.
            guard let row = rows.first else { continue }
            guard try row.decode(String.self, at: 0) == requestHash else { return .conflict }
            guard try row.decode(String.self, at: 1) == "completed" else { return .inProgress }
            return .replay(StoredResponse(
                status: try row.decode(Int.self, at: 2),
                headers: try row.decode(PostgresJSON<[StoredResponse.Header]>.self, at: 3).value,
                body: try row.decode([UInt8].self, at: 4)
            ))
        }
    }

    /// Stores a response for a claimed key outside a meter transaction (a response that is not metered).
    public func complete(_ completion: IdempotencyCompletion) async throws {
        try await pool.withConnection { try await Self.complete([completion], on: $0) }
    }

    /// Releases an unfinished claim so that a retry runs the request again.
    public func abandon(partner: String, key: IdempotencyKey) async throws {
        try await pool.query("DELETE FROM idempotency_keys WHERE partner_id = \(partner) AND key = \(key.digest) AND status = 'in_progress'")
    }

    /// Deletes expired keys; returns how many.
    @discardableResult
    public func purgeExpired() async throws -> Int {
        try await pool.query("DELETE FROM idempotency_keys WHERE expires_at <= now()").affectedRows
    }

    /// Stores the responses of claimed keys, on a connection whose transaction the caller owns.
    static func complete(_ completions: [IdempotencyCompletion], on connection: PostgresConnection) async throws {
        let json = String(decoding: try JSONEncoder().encode(completions), as: UTF8.self)
        try await connection.execute(completeClaims, [json])
    }

    static func checkPartner(_ partner: String) throws(MeteringInputError) {
        try MeteringInputError.checkText(partner, "partner", maximum: 200)
    }

    /// Inserts a claim, or takes over an expired row; returns a row only if this call claimed the key.
    static let claim = PostgresStatement("""
        INSERT INTO idempotency_keys AS k (partner_id, key, request_hash, status, expires_at, process_id)
        VALUES ($1, $2, $3, 'in_progress', now() + $4 * interval '1 microsecond', $5)
        ON CONFLICT (partner_id, key) DO UPDATE
            SET request_hash = EXCLUDED.request_hash, status = 'in_progress', response_status = NULL,
                response_headers = NULL, response_body = NULL, created_at = now(), expires_at = EXCLUDED.expires_at,
                process_id = EXCLUDED.process_id
            WHERE k.expires_at <= now()
        RETURNING 1
        """)

    static let lookup = PostgresStatement("""
        SELECT request_hash, status, response_status, response_headers, response_body
        FROM idempotency_keys WHERE partner_id = $1 AND key = $2
        """)

    static let completeClaims = PostgresStatement("""
        UPDATE idempotency_keys AS k
        SET status = 'completed', response_status = c.status, response_headers = c.headers,
            response_body = decode(c.body, 'base64'), expires_at = now() + c.retention_us * interval '1 microsecond'
        FROM jsonb_to_recordset($1::jsonb) AS c(partner_id text, key text, status smallint, headers jsonb, body text, retention_us bigint)
        WHERE k.partner_id = c.partner_id AND k.key = c.key AND k.status = 'in_progress'
        """)
}
