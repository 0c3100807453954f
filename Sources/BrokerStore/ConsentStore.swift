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
        RandomIdentifier.make(prefix: "cs_")
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

    /// Revokes the partner's consent `id` (`revoked_by_partner`); revoking again keeps the first revocation.
    /// - Returns: the consent as revoked, or `nil` if the partner has none with that id.
    @discardableResult
    public func revoke(id: String, partnerID: String, at instant: Date = Date()) async throws -> StoredConsent? {
        try await pool.execute(Self.revokeStatement, [id, partnerID, instant]).first.map(Self.stored)
    }

    /// Revokes consent `id` about `subjectKey` for the subject (`revoked_by_subject`, through the
    /// credit portal), whichever partner holds it. The first revocation raises a `consent_revoked`
    /// alert for the holder; revoking again keeps the first revocation and raises none.
    /// - Returns: the consent as it stands, or `nil` if no consent `id` is about this subject.
    public func revokeForSubject(id: String, subjectKey: String, at instant: Date) async throws -> StoredConsent? {
        try await pool.transaction { connection in
            try await Self.revoke(id: id, subjectKey: subjectKey, reason: .revokedBySubject, at: instant, on: connection)
        }
    }

    /// Revokes consent `id` (`revoked_by_admin`) on `connection` (an admin request's audit
    /// transaction), alerting its holder as `revokeForSubject` does, and keeps `note` (the
    /// administrator's reason, which may name a person) sealed under the newest key of `keys`.
    /// Revoking again keeps the first revocation and its note.
    /// - Returns: the consent as it stands and the note it keeps (`nil` if it was revoked otherwise
    ///   first), or `nil` if there is no consent with that id.
    public static func revokeByAdmin(
        id: String, note: String, keys: SealingKeys, at instant: Date, on connection: PostgresConnection
    ) async throws -> (consent: StoredConsent, note: String?)? {
        let keyring = keys.keyring
        let sealed = try keyring.seal(note, as: revocationNoteField(of: id))
        guard let consent = try await revoke(id: id, subjectKey: nil, reason: .revokedByAdmin, note: sealed, at: instant, on: connection) else {
            return nil
        }
        return (consent, try await revocationNote(of: id, keyring: keyring, on: connection))
    }

    /// Consent `id`, whichever partner holds it (the admin API's view), or `nil`.
    public func fetch(id: String) async throws -> StoredConsent? {
        try await pool.query("SELECT \(unsafeRaw: Self.columns) FROM consents WHERE consent_id = \(id)").first.map(Self.stored)
    }

    /// The reason an administrator gave for revoking consent `id`, opened with `keys`; `nil` if it
    /// has none (not revoked by an administrator, or revoked before the reason was kept: m0106).
    public func revocationNote(of id: String, keys: SealingKeys) async throws -> String? {
        try await pool.withConnection { try await Self.revocationNote(of: id, keyring: keys.keyring, on: $0) }
    }

    private static func revocationNote(of id: String, keyring: SealingKeyring, on connection: PostgresConnection) async throws -> String? {
        guard let row = try await connection.query("""
            SELECT revocation_note_key, revocation_note_sealed FROM consents WHERE consent_id = \(id) AND revocation_note_key IS NOT NULL
            """).first else { return nil }
        return try keyring.open(SealedValue(keyID: try row.decode(at: 0), bytes: try row.decode(at: 1)), as: revocationNoteField(of: id))
    }

    /// What seals consent `id`'s revocation note: bound to its table, column and row, so that a sealed
    /// value copied to another row or column does not open.
    static func revocationNoteField(of id: String) -> SealedField {
        SealedField(table: "consents", column: "revocation_note", row: id)
    }

    /// Seals every revocation note under the newest key of `keys`, `batchSize` consents per
    /// transaction (notes are sealed from the start: none is clear). Resumable like
    /// `DisputeStore.reseal`; it walks the table once in id order.
    public static func reseal(pool: PostgresPool, keys: SealingKeys, batchSize: Int = 500) async throws -> SealedColumns.ResealSummary {
        let keyring = keys.keyring
        let newest = keyring.sealingKeyID
        return try await SealedColumns.reseal(.consents, keyID: newest, from: "", pool: pool) { connection, after in
            let rows = try await connection.query("""
                SELECT consent_id, revocation_note_key, revocation_note_sealed FROM consents
                WHERE consent_id > \(after) AND revocation_note_key IS NOT NULL AND revocation_note_key <> \(newest)
                ORDER BY consent_id LIMIT \(batchSize) FOR UPDATE
                """)
            guard rows.count > 0 else { return nil }
            var from: [String?] = [], resealed: [ResealedNote] = []
            for row in rows {
                let (id, keyID): (String, String) = (try row.decode(at: 0), try row.decode(at: 1))
                let field = revocationNoteField(of: id)
                let note = try keyring.open(SealedValue(keyID: keyID, bytes: try row.decode(at: 2)), as: field)
                resealed.append(ResealedNote(id: id, note: Data(try keyring.seal(note, as: field).bytes)))
                from.append(keyID)
            }
            try await connection.execute(resealNotes, [newest, PostgresJSON(resealed)])
            return (from, resealed[resealed.count - 1].id)
        }
    }

    /// A revocation note sealed again, as `resealNotes` reads it (`Data` is base64 in JSON).
    private struct ResealedNote: Encodable {
        let id: String
        let note: Data
    }

    /// Stores a batch of revocation notes sealed under the newest key $1 in one statement.
    private static let resealNotes = PostgresStatement("""
        UPDATE consents AS c SET revocation_note_key = $1, revocation_note_sealed = decode(r.note, 'base64')
        FROM jsonb_to_recordset($2::jsonb) AS r(id text, note text)
        WHERE c.consent_id = r.id
        """)

    private static func revoke(
        id: String, subjectKey: String?, reason: StoredConsent.Reason, note: SealedValue? = nil, at instant: Date,
        on connection: PostgresConnection
    ) async throws -> StoredConsent? {
        // The alert's position is drawn under the merge lock, as every alert's is.
        try await connection.query("SELECT pg_advisory_xact_lock(\(RecordWriter.mergeLock))")
        let revoked = try await connection.query("""
            UPDATE consents SET revoked_at = \(instant), revoked_reason = \(reason.rawValue),
                revocation_note_key = \(note?.keyID), revocation_note_sealed = \(note?.bytes)
            WHERE consent_id = \(id) AND (\(subjectKey)::text IS NULL OR subject_key = \(subjectKey)) AND revoked_at IS NULL
            RETURNING \(unsafeRaw: columns)
            """)
        if let row = revoked.first {
            let consent = try stored(row)
            // As the watchlist labels subjects: an organisation by its USCC, a person by the masked ID number.
            let isPerson = PersonKey(hex: consent.consent.subject) != nil
            try await connection.query("""
                INSERT INTO partner_alerts (partner_id, change_seq, change, consent_id, reason, subject_key, subject_kind, subject_label, recorded_on)
                VALUES (\(consent.partnerID), nextval('record_change_seq'), 'consent_revoked', \(id), \(reason.rawValue),
                        \(consent.consent.subject), \(isPerson ? "person" : "organisation"),
                        \(isPerson ? consent.maskedSubject : consent.consent.subject), \(CivilDate(instant))::date)
                """)
            return consent
        }
        return try await connection.query("""
            SELECT \(unsafeRaw: columns) FROM consents
            WHERE consent_id = \(id) AND (\(subjectKey)::text IS NULL OR subject_key = \(subjectKey))
            """).first.map(stored)
    }

    /// Every consent about the subject, whichever partner holds it, newest first.
    public func consents(ofSubject subjectKey: String) async throws -> [StoredConsent] {
        try await pool.query("""
            SELECT \(unsafeRaw: Self.columns) FROM consents WHERE subject_key = \(subjectKey) ORDER BY created_at DESC, consent_id
            """).map(Self.stored)
    }

    /// The consent `id` about `subjectKey`, whichever partner holds it (the subject's own view).
    public func fetch(id: String, subjectKey: String) async throws -> StoredConsent? {
        try await pool.query("""
            SELECT \(unsafeRaw: Self.columns) FROM consents WHERE consent_id = \(id) AND subject_key = \(subjectKey)
            """).first.map(Self.stored)
    }

    /// Why an extension is refused.
    public enum ExtensionRefusal: Error, Sendable, Hashable {
        case notFound
        /// Only an active consent is extended.
        case notActive(StoredConsent.Status)
        /// The new end is not after the current one.
        case notLater
    }

    /// Extends the partner's consent `id` to `validTo` at `instant`, while it is active, keeping the
    /// extension (the end before and after, the renewed authorisation's digest) in its history.
    public func extend(id: String, partnerID: String, validTo: Date, documentDigest: String, at instant: Date) async throws -> StoredConsent {
        try await pool.transaction { connection in
            guard let row = try await connection.query("""
                SELECT \(unsafeRaw: Self.columns) FROM consents WHERE consent_id = \(id) AND partner_id = \(partnerID) FOR UPDATE
                """).first else { throw ExtensionRefusal.notFound }
            let current = try Self.stored(row)
            let status = current.status(at: instant)
            guard status == .active else { throw ExtensionRefusal.notActive(status) }
            guard validTo > current.consent.validTo else { throw ExtensionRefusal.notLater }
            try await connection.query("""
                INSERT INTO consent_extensions (consent_id, extended_at, valid_to_before, valid_to, document_sha256)
                VALUES (\(id), \(instant), \(current.consent.validTo), \(validTo), \(documentDigest))
                """)
            let updated = try await connection.query("""
                UPDATE consents SET valid_to = \(validTo) WHERE consent_id = \(id) RETURNING \(unsafeRaw: Self.columns)
                """)
            return try Self.stored(updated[0])
        }
    }

    /// The extensions of the consents `ids`, oldest first.
    public func extensions(of ids: [String]) async throws -> [ConsentExtension] {
        guard !ids.isEmpty else { return [] }
        return try await pool.query("""
            SELECT consent_id, extended_at, valid_to_before, valid_to, document_sha256 FROM consent_extensions
            WHERE consent_id = ANY(\(TextArrayParameter(ids))::text[]) ORDER BY id
            """).map { row in
            ConsentExtension(
                consentID: try row.decode(at: 0), extendedAt: try row.decode(at: 1), validToBefore: try row.decode(at: 2),
                validTo: try row.decode(at: 3), documentDigest: try row.decode(at: 4)
            )
        }
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
            createdAt: try row.decode(at: 12), revokedAt: try row.decode(at: 13),
            revokedReason: try row.decode(String?.self, at: 14).flatMap(StoredConsent.Reason.init(rawValue:)),
            usedUpAt: try row.decode(at: 15)
        )
    }

    // The statements below splice in this constant column list; every value is a parameter.
    private static let columns = """
        consent_id, partner_id, subject_key, subject_masked, array_to_json(purposes), array_to_json(items),
        array_to_json(categories), valid_from, valid_to, uses, max_uses, document_sha256, created_at, revoked_at,
        revoked_reason, used_up_at
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
        UPDATE consents SET revoked_at = coalesce(revoked_at, $3), revoked_reason = coalesce(revoked_reason, 'revoked_by_partner')
        WHERE consent_id = $1 AND partner_id = $2
        RETURNING \(columns)
        """)

    /// Under READ COMMITTED a concurrent UPDATE of the same row waits, then re-checks the WHERE
    /// clause against the row as the other committed it: the last use is spent once.
    private static let giveBackStatement = PostgresStatement(unsafeSQL: """
        UPDATE consents SET uses = uses - 1, used_up_at = NULL WHERE consent_id = $1 AND partner_id = $2 AND uses > 0
        """)

    private static let useStatement = PostgresStatement(unsafeSQL: """
        UPDATE consents SET uses = uses + 1, used_up_at = CASE WHEN uses + 1 >= max_uses THEN $3 END
        WHERE consent_id = $1 AND partner_id = $2 AND revoked_at IS NULL
          AND valid_from <= $3 AND $3 < valid_to AND (max_uses IS NULL OR uses < max_uses)
        RETURNING \(columns)
        """)
}
