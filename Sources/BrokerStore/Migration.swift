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
        Migration(2, "subjects_records", PackageResources.m0002_subjects_records_sql),
        Migration(3, "record_versions", PackageResources.m0003_record_versions_sql),
        Migration(10, "api_keys", PackageResources.m0010_api_keys_sql),
        Migration(20, "meter_events", PackageResources.m0020_meter_events_sql),
        Migration(21, "quota_counters", PackageResources.m0021_quota_counters_sql),
        Migration(22, "idempotency_keys", PackageResources.m0022_idempotency_keys_sql),
        Migration(23, "quota_reserve_up_to", PackageResources.m0023_quota_reserve_up_to_sql),
        Migration(24, "idempotency_key_digests", PackageResources.m0024_idempotency_key_digests_sql),
        Migration(25, "quota_holds", PackageResources.m0025_quota_holds_sql),
        Migration(30, "consents", PackageResources.m0030_consents_sql),
        Migration(31, "contract_versions", PackageResources.m0031_contract_versions_sql),
        Migration(40, "watchlist", PackageResources.m0040_watchlist_sql),
        Migration(41, "disclosure_sweeps", PackageResources.m0041_disclosure_sweeps_sql),
        Migration(50, "batch_reviews", PackageResources.m0050_batch_reviews_sql),
        Migration(60, "admin_audit", PackageResources.m0060_admin_audit_sql),
        Migration(61, "admin_audit_local_actors", PackageResources.m0061_admin_audit_local_actors_sql),
        Migration(70, "contract_lifecycle", PackageResources.m0070_contract_lifecycle_sql),
        Migration(80, "subject_rights", PackageResources.m0080_subject_rights_sql),
        Migration(90, "admin_audit_digest", PackageResources.m0090_admin_audit_digest_sql),
        Migration(91, "disputes_sealed", PackageResources.m0091_disputes_sealed_sql),
        Migration(100, "billing", PackageResources.m0100_billing_sql),
        Migration(101, "replays_sealed", PackageResources.m0101_replays_sealed_sql),
        Migration(102, "watched_changes_china_day", PackageResources.m0102_watched_changes_china_day_sql),
        Migration(103, "quota_inflight", PackageResources.m0103_quota_inflight_sql),
        Migration(104, "meter_events_subject_hash", PackageResources.m0104_meter_events_subject_hash_sql),
        Migration(105, "quota_leases", PackageResources.m0105_quota_leases_sql),
        Migration(106, "consent_revocation_notes", PackageResources.m0106_consent_revocation_notes_sql),
    ]
}
