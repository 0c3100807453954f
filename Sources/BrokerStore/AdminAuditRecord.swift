import BrokerCore
import Crypto
import Foundation

/// One link of the admin audit chain: an entry with its place, time and hash.
///
/// `hash = SHA-256(previous hash ‖ canonical encoding)`, where the previous hash is the previous
/// row's 64 hex digits as ASCII (64 zeros before the first row), and the canonical encoding
/// is the JSON object of `seq`, `time_us` (microseconds since 1970, UTC) and the entry's fields
/// (snake_case), keys sorted, no whitespace, absent values omitted, slashes unescaped.
public struct AdminAuditRecord: Sendable, Hashable {
    /// 1, 2, 3, … without gaps.
    public let seq: Int
    /// Microseconds since 1970-01-01 UTC, as hashed.
    public let microseconds: Int64
    public let entry: AdminAuditEntry
    /// 64 lowercase hex digits.
    public let hash: String

    /// The hash before the first row.
    public static let genesis = String(repeating: "0", count: 64)

    public var time: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

    /// The chain's next record after a row whose hash is `previous`.
    init(seq: Int, microseconds: Int64, entry: AdminAuditEntry, previous: String) {
        self.seq = seq
        self.microseconds = microseconds
        self.entry = entry
        self.hash = Self.hash(seq: seq, microseconds: microseconds, entry: entry, previous: previous)
    }

    /// A record as stored, its hash unchecked.
    init(seq: Int, microseconds: Int64, entry: AdminAuditEntry, storedHash: String) {
        self.seq = seq
        self.microseconds = microseconds
        self.entry = entry
        self.hash = storedHash
    }

    /// Whether the stored hash is the one the row and `previous` give.
    func isLinked(to previous: String) -> Bool {
        hash == Self.hash(seq: seq, microseconds: microseconds, entry: entry, previous: previous)
    }

    static func hash(seq: Int, microseconds: Int64, entry: AdminAuditEntry, previous: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Data(previous.utf8))
        hasher.update(data: canonicalEncoding(seq: seq, microseconds: microseconds, entry: entry))
        return hasher.finalize().lowercaseHex
    }

    /// The row as hashed: the entry's fields with `seq` and `time_us`.
    private struct Canonical: Encodable {
        let seq: Int
        let timeUS: Int64
        let entry: AdminAuditEntry

        enum CodingKeys: String, CodingKey { case seq, timeUS = "time_us" }

        func encode(to encoder: any Encoder) throws {
            try entry.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(seq, forKey: .seq)
            try container.encode(timeUS, forKey: .timeUS)
        }
    }

    static func canonicalEncoding(seq: Int, microseconds: Int64, entry: AdminAuditEntry) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings and integers only: encoding cannot fail.
        return try! encoder.encode(Canonical(seq: seq, timeUS: microseconds, entry: entry))
    }
}
