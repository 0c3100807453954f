/// One versioned schema change, shipped inside the binary.
///
/// The SQL lives in `Sources/BrokerStore/Migrations/mNNNN_name.sql`, embedded at build time;
/// add a file there and a line to `all`.
public struct Migration: Sendable, Hashable {
    public var version: Int
    public var name: String
    public var sql: String

    init(_ version: Int, _ name: String, _ bytes: [UInt8]) {
        self.version = version
        self.name = name
        self.sql = String(decoding: bytes, as: UTF8.self)
    }

    /// Every migration, in version order.
    public static let all: [Migration] = [
        Migration(1, "schema_migrations", PackageResources.m0001_schema_migrations_sql),
        Migration(10, "api_keys", PackageResources.m0010_api_keys_sql),
    ]
}
