import BrokerStore
import Foundation
import PostgresClient

/// Partner-scoped idempotency keys in PostgreSQL (`idempotency_keys`).
///
/// A request with an `Idempotency-Key` calls `begin` first. On `.new` it runs, and its response is
/// stored with its meter event (`MeterWriter.record(_:completing:)`); if it fails before that, it
/// calls `abandon` so that a retry may run. A claim left behind by a crashed process lapses after
/// `claimLease`. Keys of different partners never meet: the partner is part of the key. A key is
/// stored only as its keyed hash (`IdempotencyKey`), never as the text the partner sent, and the
/// response's body only sealed (`IdempotencyCompletion`): it may carry a subject's kept statement.
public struct IdempotencyStore: Sendable {
    public let pool: PostgresPool
    /// Open the bodies kept for retries (the newest key seals them, `IdempotencyCompletion`).
    public let keys: SealingKeys
    /// How long an unfinished claim blocks retries (`.inProgress`) before a retry may take it over.
    public let claimLease: Duration
    /// The gateway process that claims keys through this store (`idempotency_keys.process_id`): its
    /// unfinished claims are released as soon as it is known to be gone (`QuotaHoldSweep`).
    public let holder: String?

    public init(pool: PostgresPool, keys: SealingKeys, claimLease: Duration = .seconds(120), holder: String? = nil) {
        self.pool = pool
        self.keys = keys
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
                body: try keys.keyring.openBytes(
                    try row.decode([UInt8].self, at: 4), sealedUnder: try row.decode(String?.self, at: 5), as: Self.field(partner: partner, key: key.digest)
                )
            ))
        }
    }

    /// The completion of a claimed key with `response`, its body sealed with this store's newest key.
    public func completion(partner: String, key: IdempotencyKey, response: StoredResponse) throws(SealingKeyring.Failure) -> IdempotencyCompletion {
        try IdempotencyCompletion(partnerID: partner, key: key, response: response, sealingWith: keys.keyring)
    }

    /// Stores a response for a claimed key outside a meter transaction (a response that is not metered).
    public func complete(_ completion: IdempotencyCompletion) async throws {
        try await pool.withConnection { try await Self.complete([completion], on: $0) }
    }

    /// Releases an unfinished claim so that a retry runs the request again (the sweep's, which opens no response).
    public static func abandon(partner: String, key: IdempotencyKey, pool: PostgresPool) async throws {
        try await pool.query("DELETE FROM idempotency_keys WHERE partner_id = \(partner) AND key = \(key.digest) AND status = 'in_progress'")
    }

    /// Deletes expired keys; returns how many.
    @discardableResult
    public func purgeExpired() async throws -> Int {
        try await pool.query("DELETE FROM idempotency_keys WHERE expires_at <= now()").affectedRows
    }

    /// Stores the responses of claimed keys, on a connection whose transaction the caller owns.
    static func complete(_ completions: [IdempotencyCompletion], on connection: PostgresConnection) async throws {
        try await connection.execute(completeClaims, [PostgresJSON(completions)])
    }

    /// Where a kept body belongs: the partner's key (its digest). Bound into the seal, so a body
    /// copied to another key or partner does not open.
    public static func field(partner: String, key digest: String) -> SealedField {
        SealedField(table: "idempotency_keys", column: "response_body", row: "\(partner)/\(digest)")
    }

    /// Seals every kept response under the newest key of `keys`, `batchSize` rows per transaction:
    /// those completed before migration 101 (clear) and those sealed under an older key. Resumable
    /// like `DisputeStore.reseal`; it walks the table once in key order.
    public static func reseal(pool: PostgresPool, keys: SealingKeys, batchSize: Int = 500) async throws -> SealedColumns.ResealSummary {
        let keyring = keys.keyring
        return try await SealedColumns.reseal(.idempotencyKeys, keyID: keyring.sealingKeyID, from: (partner: "", key: ""), pool: pool) { connection, after in
            let rows = try await connection.execute(resealBatch, [after.partner, after.key, keyring.sealingKeyID, batchSize])
            guard rows.count > 0 else { return nil }
            var resealed: [ResealedBody] = [], from: [String?] = []
            for row in rows {
                let (partner, digest, keyID): (String, String, String?) = (try row.decode(at: 0), try row.decode(at: 1), try row.decode(at: 2))
                let field = Self.field(partner: partner, key: digest)
                let body = try keyring.openBytes(try row.decode([UInt8].self, at: 3), sealedUnder: keyID, as: field)
                resealed.append(ResealedBody(partner: partner, key: digest, body: Data(try keyring.seal(bytes: body, as: field).bytes)))
                from.append(keyID)
            }
            try await connection.execute(resealBodies, [keyring.sealingKeyID, PostgresJSON(resealed)])
            return (from, (resealed[resealed.count - 1].partner, resealed[resealed.count - 1].key))
        }
    }

    /// A body sealed again, as `resealBodies` reads it (`Data` is base64 in JSON).
    private struct ResealedBody: Encodable {
        let partner: String
        let key: String
        let body: Data
    }

    /// Stores the bodies of a batch sealed under the newest key $1, in one statement.
    static let resealBodies = PostgresStatement("""
        UPDATE idempotency_keys AS k SET response_body = decode(r.body, 'base64'), response_key = $1
        FROM jsonb_to_recordset($2::jsonb) AS r(partner text, key text, body text)
        WHERE k.partner_id = r.partner AND k.key = r.key AND k.status = 'completed'
        """)

    /// The next completed rows after ($1, $2) in key order not sealed under the newest key $3.
    static let resealBatch = PostgresStatement("""
        SELECT partner_id, key, response_key, response_body FROM idempotency_keys
        WHERE (partner_id, key) > ($1, $2) AND status = 'completed' AND response_key IS DISTINCT FROM $3
        ORDER BY partner_id, key LIMIT $4 FOR UPDATE
        """)

    static func checkPartner(_ partner: String) throws(MeteringInputError) {
        try MeteringInputError.checkText(partner, "partner", maximum: 200)
    }

    /// Inserts a claim, or takes over an expired row; returns a row only if this call claimed the key.
    static let claim = PostgresStatement("""
        INSERT INTO idempotency_keys AS k (partner_id, key, request_hash, status, expires_at, process_id)
        VALUES ($1, $2, $3, 'in_progress', now() + $4 * interval '1 microsecond', $5)
        ON CONFLICT (partner_id, key) DO UPDATE
            SET request_hash = EXCLUDED.request_hash, status = 'in_progress', response_status = NULL,
                response_headers = NULL, response_body = NULL, response_key = NULL, created_at = now(), expires_at = EXCLUDED.expires_at,
                process_id = EXCLUDED.process_id
            WHERE k.expires_at <= now()
        RETURNING 1
        """)

    static let lookup = PostgresStatement("""
        SELECT request_hash, status, response_status, response_headers, response_body, response_key
        FROM idempotency_keys WHERE partner_id = $1 AND key = $2
        """)

    static let completeClaims = PostgresStatement("""
        UPDATE idempotency_keys AS k
        SET status = 'completed', response_status = c.status, response_headers = c.headers,
            response_body = decode(c.body, 'base64'), response_key = c.body_key, expires_at = now() + c.retention_us * interval '1 microsecond'
        FROM jsonb_to_recordset($1::jsonb) AS c(partner_id text, key text, status smallint, headers jsonb, body text, body_key text, retention_us bigint)
        WHERE k.partner_id = c.partner_id AND k.key = c.key AND k.status = 'in_progress'
        """)
}
