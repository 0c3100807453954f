import BrokerCore
import Foundation
import PostgresClient

/// Partners' consents in the `consents` table. Every call is scoped to one partner: another
/// partner's consent is, to the caller, no consent at all.
public struct ConsentStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// A fresh consent id: `cs_` and 128 random bits (32 hex digits) from the system CSPRNG.
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "cs_" + (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }.lowercaseHex
    }

    /// Stores `consent` (with `usesSoFar` 0, not revoked) for `partnerID`.
    /// - Parameter maskedSubject: the subject's identifier as the partner may be shown it.
    public func create(_ consent: Consent, partnerID: String, maskedSubject: String) async throws -> StoredConsent {
        let result = try await pool.execute(Self.insert, [
            consent.id, partnerID, consent.subject, maskedSubject, TextArrayParameter(consent.purposes),
            TextArrayParameter(consent.items), TextArrayParameter(consent.categories), consent.validFrom, consent.validTo,
            Self.maxUses(consent.useLimit), consent.documentDigest,
        ])
        return try Self.stored(result[0])
    }

    /// The partner's consent `id`, or `nil` if the partner has none with that id.
    public func fetch(id: String, partnerID: String) async throws -> StoredConsent? {
        try await pool.execute(Self.select, [id, partnerID]).first.map(Self.stored)
    }

    /// Revokes the partner's consent `id`; revoking again keeps the first revocation.
    /// - Returns: the consent as revoked, or `nil` if the partner has none with that id.
    @discardableResult
    public func revoke(id: String, partnerID: String, at instant: Date = Date()) async throws -> StoredConsent? {
        try await pool.execute(Self.revokeStatement, [id, partnerID, instant]).first.map(Self.stored)
    }

    /// Spends one use of the partner's consent `id` at `instant`, in one statement: only while it
    /// is not revoked, within its validity and under its limit. Concurrent calls never spend more
    /// uses than the limit allows.
    /// - Returns: the consent after the use, or `nil` if it could not be used (unknown, another
    ///   partner's, revoked, outside its validity, used up).
    public func use(id: String, partnerID: String, at instant: Date = Date()) async throws -> StoredConsent? {
        try await pool.execute(Self.useStatement, [id, partnerID, instant]).first.map(Self.stored)
    }

    /// Gives back one use spent by `use` for an answer that never left (its request failed or its
    /// meter event could not be committed). `false` if the consent has no use to give back.
    @discardableResult
    public func giveBack(id: String, partnerID: String) async throws -> Bool {
        try await pool.execute(Self.giveBackStatement, [id, partnerID]).affectedRows > 0
    }

    private static func maxUses(_ limit: Consent.UseLimit) -> Int? {
        switch limit {
        case .once: 1
        case .times(let count): count
        case .unlimited: nil
        }
    }

    private static func stored(_ row: PostgresRow) throws -> StoredConsent {
        let useLimit: Consent.UseLimit = switch try row.decode(Int?.self, at: 10) {
        case nil: .unlimited
        case 1?: .once
        case let count?: .times(count)
        }
        let consent = Consent(
            id: try row.decode(at: 0), subject: try row.decode(at: 2),
            purposes: try row.decode(PostgresJSON<[String]>.self, at: 4).value,
            items: try row.decode(PostgresJSON<[String]>.self, at: 5).value,
            categories: try row.decode(PostgresJSON<[String]>.self, at: 6).value,
            validFrom: try row.decode(at: 7), validTo: try row.decode(at: 8),
            useLimit: useLimit,
            usesSoFar: try row.decode(at: 9), revoked: !row.isNull(at: 13), documentDigest: try row.decode(at: 11)
        )
        return StoredConsent(
            consent: consent, partnerID: try row.decode(at: 1), maskedSubject: try row.decode(at: 3),
            createdAt: try row.decode(at: 12), revokedAt: try row.decode(at: 13)
        )
    }

    // The statements below splice in this constant column list; every value is a parameter.
    private static let columns = """
        consent_id, partner_id, subject_key, subject_masked, array_to_json(purposes), array_to_json(items),
        array_to_json(categories), valid_from, valid_to, uses, max_uses, document_sha256, created_at, revoked_at
        """

    private static let insert = PostgresStatement(unsafeSQL: """
        INSERT INTO consents (consent_id, partner_id, subject_key, subject_masked, purposes, items, categories,
                              valid_from, valid_to, max_uses, document_sha256)
        VALUES ($1, $2, $3, $4, $5::text[], $6::text[], $7::text[], $8, $9, $10, $11)
        RETURNING \(columns)
        """)

    private static let select = PostgresStatement(unsafeSQL: """
        SELECT \(columns) FROM consents WHERE consent_id = $1 AND partner_id = $2
        """)

    private static let revokeStatement = PostgresStatement(unsafeSQL: """
        UPDATE consents SET revoked_at = coalesce(revoked_at, $3) WHERE consent_id = $1 AND partner_id = $2
        RETURNING \(columns)
        """)

    /// Under READ COMMITTED a concurrent UPDATE of the same row waits, then re-checks the WHERE
    /// clause against the row as the other committed it: the last use is spent once.
    private static let giveBackStatement = PostgresStatement(unsafeSQL: """
        UPDATE consents SET uses = uses - 1 WHERE consent_id = $1 AND partner_id = $2 AND uses > 0
        """)

    private static let useStatement = PostgresStatement(unsafeSQL: """
        UPDATE consents SET uses = uses + 1
        WHERE consent_id = $1 AND partner_id = $2 AND revoked_at IS NULL
          AND valid_from <= $3 AND $3 < valid_to AND (max_uses IS NULL OR uses < max_uses)
        RETURNING \(columns)
        """)
}
