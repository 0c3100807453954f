import Foundation
import PostgresClient

/// Partner API keys in the `api_keys` table: issue, revoke, and check a presented key.
public struct ApiKeyStore: Sendable {
    /// A stored key as the admin tools list it (never the secret).
    public struct Record: Sendable, Hashable {
        public let keyID: String
        public let partnerID: String
        public let createdAt: Date
        public let expiresAt: Date?
        public let revokedAt: Date?
    }

    /// Why a presented key does not authenticate; the wire never says which (401 alike).
    public enum Refusal: String, Error, Sendable {
        case unknownKey = "unknown_key"
        case wrongSecret = "wrong_secret"
        case expired
        case revoked
    }

    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Issues a key for `partnerID`; the returned token (`ak_….secret`) is the only copy of the secret.
    public func issue(partnerID: String, expiresAt: Date?) async throws -> (record: Record, token: String) {
        try await pool.withConnection { try await Self.issue(partnerID: partnerID, expiresAt: expiresAt, on: $0) }
    }

    /// Issues a key within the connection's transaction (it exists once that commits).
    public static func issue(partnerID: String, expiresAt: Date?, on connection: PostgresConnection) async throws -> (record: Record, token: String) {
        let (key, token) = ApiKey.generate()
        let result = try await connection.query("""
            INSERT INTO api_keys (key_id, partner_id, secret_sha256, expires_at)
            VALUES (\(key.id), \(partnerID), \(key.secretDigest), \(expiresAt))
            RETURNING \(unsafeRaw: Self.columns)
            """)
        return (try Self.record(result[0]), token)
    }

    /// Every key issued to `partnerID`, revoked and expired ones included, oldest first.
    public func keys(of partnerID: String) async throws -> [Record] {
        try await pool.query("""
            SELECT \(unsafeRaw: Self.columns) FROM api_keys WHERE partner_id = \(partnerID) ORDER BY created_at, key_id
            """).map(Self.record)
    }

    /// The ids of the keys that authenticate at `time` (neither revoked nor expired), by partner,
    /// oldest first: the live credentials, whatever the contract files list.
    public func liveKeyIDs(at time: Date = Date()) async throws -> [String: [String]] {
        let rows = try await pool.query("""
            SELECT partner_id, key_id FROM api_keys
            WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > \(time))
            ORDER BY partner_id, created_at, key_id
            """)
        return try Dictionary(grouping: rows.map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }, by: \.0)
            .mapValues { $0.map(\.1) }
    }

    /// Revokes a key; returns `nil` if there is no such key. Revoking twice keeps the first time.
    @discardableResult
    public func revoke(keyID: String, at time: Date = Date()) async throws -> Record? {
        try await pool.withConnection { try await Self.revoke(keyID: keyID, at: time, on: $0) }
    }

    /// Revokes a key within the connection's transaction (it takes effect once that commits).
    public static func revoke(keyID: String, at time: Date = Date(), on connection: PostgresConnection) async throws -> Record? {
        let result = try await connection.query("""
            UPDATE api_keys SET revoked_at = coalesce(revoked_at, \(time)) WHERE key_id = \(keyID)
            RETURNING \(unsafeRaw: Self.columns)
            """)
        return try result.first.map(Self.record)
    }

    /// The partner a presented key authenticates, or why it does not.
    public func authenticate(_ key: ApiKey, at time: Date = Date()) async throws -> Result<String, Refusal> {
        let result = try await pool.query("""
            SELECT partner_id, secret_sha256, expires_at, revoked_at FROM api_keys WHERE key_id = \(key.id)
            """)
        guard let row = result.first else { return .failure(.unknownKey) }
        guard key.matches(try row.decode(Data.self, at: 1)) else { return .failure(.wrongSecret) }
        if try row.decode(Date?.self, at: 3) != nil { return .failure(.revoked) }
        if let expiry = try row.decode(Date?.self, at: 2), expiry <= time { return .failure(.expired) }
        return .success(try row.decode(String.self, at: 0))
    }

    private static let columns = "key_id, partner_id, created_at, expires_at, revoked_at"

    private static func record(_ row: PostgresRow) throws -> Record {
        Record(
            keyID: try row.decode(at: 0), partnerID: try row.decode(at: 1), createdAt: try row.decode(at: 2),
            expiresAt: try row.decode(at: 3), revokedAt: try row.decode(at: 4)
        )
    }
}
