import BrokerCore
import Crypto
import Foundation
import GMCrypto

/// The digest an admin audit chain links its rows with, chosen once per installation and recorded
/// in the chain's first row.
public enum AuditDigest: String, Sendable, Hashable, CaseIterable {
    case sha256
    /// SM3 (GB/T 32905), for installations assessed on their use of the national algorithms.
    case sm3

    public var title: String {
        switch self {
        case .sha256: "SHA-256"
        case .sm3: "SM3"
        }
    }

    /// 64 lowercase hex digits of the digest of `parts` in order.
    func hex(_ parts: [Data]) -> String {
        switch self {
        case .sha256:
            var hasher = SHA256()
            for part in parts { hasher.update(data: part) }
            return hasher.finalize().lowercaseHex
        case .sm3:
            // SM3 of two in-memory byte strings cannot fail short of memory exhaustion.
            return try! SM3.hash(parts.reduce(Data(), +)).lowercaseHex
        }
    }
}

/// One link of the admin audit chain: an entry with its place, time and hash.
///
/// `hash = D(previous hash ‖ canonical encoding)`, where `D` is the chain's digest (SHA-256 unless
/// its first row says `sm3`), the previous hash is the previous row's 64 hex digits as ASCII (64
/// zeros before the first row), and the canonical encoding is the JSON object of `seq`, `time_us`
/// (microseconds since 1970, UTC), the entry's fields (snake_case) and, on a first row that records
/// it, `digest`; keys sorted, no whitespace, absent values omitted, slashes unescaped.
public struct AdminAuditRecord: Sendable, Hashable {
    /// 1, 2, 3, … without gaps.
    public let seq: Int
    /// Microseconds since 1970-01-01 UTC, as hashed.
    public let microseconds: Int64
    public let entry: AdminAuditEntry
    /// The chain's digest as its first row records it; nil on every other row (and on the first row
    /// of a SHA-256 chain).
    public let digest: AuditDigest?
    /// 64 lowercase hex digits.
    public let hash: String

    /// The hash before the first row.
    public static let genesis = String(repeating: "0", count: 64)

    public var time: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

    /// The chain's next record after a row whose hash is `previous`, linked with `chain`'s digest;
    /// `digest` is recorded on a first row of a chain that does not link with SHA-256.
    init(seq: Int, microseconds: Int64, entry: AdminAuditEntry, digest: AuditDigest? = nil, previous: String, chain: AuditDigest) {
        self.seq = seq
        self.microseconds = microseconds
        self.entry = entry
        self.digest = digest
        self.hash = Self.hash(seq: seq, microseconds: microseconds, entry: entry, digest: digest, previous: previous, chain: chain)
    }

    /// A record as stored, its hash unchecked.
    init(seq: Int, microseconds: Int64, entry: AdminAuditEntry, digest: AuditDigest?, storedHash: String) {
        self.seq = seq
        self.microseconds = microseconds
        self.entry = entry
        self.digest = digest
        self.hash = storedHash
    }

    /// Whether the stored hash is the one the row and `previous` give under `chain`'s digest.
    func isLinked(to previous: String, chain: AuditDigest) -> Bool {
        hash == Self.hash(seq: seq, microseconds: microseconds, entry: entry, digest: digest, previous: previous, chain: chain)
    }

    static func hash(
        seq: Int, microseconds: Int64, entry: AdminAuditEntry, digest: AuditDigest?, previous: String, chain: AuditDigest
    ) -> String {
        chain.hex([Data(previous.utf8), canonicalEncoding(seq: seq, microseconds: microseconds, entry: entry, digest: digest)])
    }

    /// The row as hashed: the entry's fields with `seq`, `time_us` and, where recorded, `digest`.
    private struct Canonical: Encodable {
        let seq: Int
        let timeUS: Int64
        let entry: AdminAuditEntry
        let digest: AuditDigest?

        enum CodingKeys: String, CodingKey { case seq, timeUS = "time_us", digest }

        func encode(to encoder: any Encoder) throws {
            try entry.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(seq, forKey: .seq)
            try container.encode(timeUS, forKey: .timeUS)
            try container.encodeIfPresent(digest?.rawValue, forKey: .digest)
        }
    }

    static func canonicalEncoding(seq: Int, microseconds: Int64, entry: AdminAuditEntry, digest: AuditDigest? = nil) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings and integers only: encoding cannot fail.
        return try! encoder.encode(Canonical(seq: seq, timeUS: microseconds, entry: entry, digest: digest))
    }
}
