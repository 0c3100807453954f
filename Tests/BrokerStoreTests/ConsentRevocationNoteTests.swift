import BrokerCore
@testable import BrokerStore
import Foundation
import PostgresClient
import TestSupport
import Testing

/// A security administrator's reason for revoking a consent (m0106): kept, sealed at rest as a
/// dispute's note is (nothing clear in the table or a `pg_dump`), bound to its consent, kept only
/// for an administrator's revocation and only for the first one, and moved to a new key by `reseal`.
@Suite struct ConsentRevocationNoteTests {
    static let note = "授权书系伪造 张三 note-3c9e71"

    private static func setUp(_ label: String = #function) async throws -> (PostgresConfiguration, PostgresPool, ConsentStore) {
        let database = try await TestPostgres.freshDatabase(label)
        let pool = PostgresPool(.init(connection: database, maxConnections: 2))
        try await Migrator(pool: pool).migrate()
        return (database, pool, ConsentStore(pool: pool))
    }

    private static func create(_ store: ConsentStore) async throws -> String {
        try await store.create(ConsentStoreTests.consent(useLimit: .unlimited), partnerID: ConsentStoreTests.bank, maskedSubject: "913501********0Y43").consent.id
    }

    private static func revokeByAdmin(_ id: String, note: String = note, keys: SealingKeys, pool: PostgresPool) async throws -> (consent: StoredConsent, note: String?)? {
        try await pool.transaction { try await ConsentStore.revokeByAdmin(id: id, note: note, keys: keys, at: Date(), on: $0) }
    }

    @Test func theAdminsReasonIsKeptSealedBesideTheRevocationAndOpensOnlyInItsOwnRow() async throws {
        let (database, pool, store) = try await Self.setUp()
        let keys = try TestSealingKeys.fresh("k1")
        let id = try await Self.create(store)
        let revoked = try #require(try await Self.revokeByAdmin(id, keys: keys, pool: pool))
        #expect(revoked.consent.revokedReason == .revokedByAdmin && revoked.note == Self.note)
        #expect(try await store.revocationNote(of: id, keys: keys) == Self.note)
        #expect(try await store.fetch(id: id)?.revokedReason == .revokedByAdmin)

        let row = try await pool.query("""
            SELECT revocation_note_key, octet_length(revocation_note_sealed) FROM consents WHERE consent_id = \(id)
            """)[0]
        #expect(try row.decode(String.self, at: 0) == "k1")
        // nonce ‖ ciphertext ‖ tag: 16 + the text's UTF-8 bytes + 32.
        #expect(try row.decode(Int.self, at: 1) == 48 + Self.note.utf8.count)
        for needle in ["note-3c9e71", "张三", "授权书系伪造"] {
            #expect(try await pool.query("SELECT count(*)::int FROM consents t WHERE t::text LIKE \("%" + needle + "%")")[0].decode(Int.self, at: 0) == 0)
        }
        let dump = try await TestPostgres.dump(database)
        #expect(dump.contains("COPY public.consents"), "the dump holds the consents table")
        #expect(!dump.contains("note-3c9e71") && !dump.contains("张三"))
        #expect(try await SealedColumns.keyIDsInUse(pool: pool) == ["k1"])

        // Revoking again keeps the first revocation and its reason.
        let again = try #require(try await Self.revokeByAdmin(id, note: "another reason", keys: keys, pool: pool))
        #expect(again.note == Self.note && again.consent.revokedAt == revoked.consent.revokedAt)

        // Copied to another consent's row, the sealed reason does not open there; the error names where, not what.
        let other = try await Self.create(store)
        _ = try await Self.revokeByAdmin(other, note: "unrelated", keys: keys, pool: pool)
        try await pool.query("""
            UPDATE consents SET revocation_note_sealed = (SELECT revocation_note_sealed FROM consents WHERE consent_id = \(id)) WHERE consent_id = \(other)
            """)
        let moved = try await #require(throws: SealingKeyring.Failure.self) { try await store.revocationNote(of: other, keys: keys) }
        #expect(moved.description == "consents.revocation_note of \(other) does not open under the key 'k1': it was altered, or belongs to another row or column")
        #expect(!moved.description.contains("note-3c9e71"))
        #expect(try await Self.revokeByAdmin(ConsentStore.newID(), keys: keys, pool: pool) == nil)
        await pool.close()
    }

    /// Only an administrator's revocation has a reason: one revoked by its partner first keeps none
    /// when an administrator revokes it after, and the schema refuses a reason beside another revocation.
    @Test func aConsentRevokedOtherwiseFirstKeepsNoReason() async throws {
        let (_, pool, store) = try await Self.setUp()
        let keys = try TestSealingKeys.fresh("k1")
        let id = try await Self.create(store)
        _ = try await store.revoke(id: id, partnerID: ConsentStoreTests.bank)
        let revoked = try #require(try await Self.revokeByAdmin(id, keys: keys, pool: pool))
        #expect(revoked.consent.revokedReason == .revokedByPartner && revoked.note == nil)
        #expect(try await store.revocationNote(of: id, keys: keys) == nil)
        let refused = try await #require(throws: PostgresError.self) {
            try await pool.query("UPDATE consents SET revocation_note_key = 'k1', revocation_note_sealed = '\\x00' WHERE consent_id = \(id)")
        }
        #expect(refused.sqlState == "23514", "\(refused)")
        await pool.close()
    }

    /// `reseal` moves every reason under an older key to the newest, in batches; afterwards the old
    /// key seals nothing the database holds, and a run with nothing to do changes nothing.
    @Test func resealMovesEveryReasonToTheNewestKey() async throws {
        let (_, pool, store) = try await Self.setUp()
        let first = try SealingKeyring.newKeyFileText(id: "k1")
        let old = SealingKeys(try SealingKeyring(text: first, origin: "keys"))
        let second = try SealingKeyring.newKeyFileText(id: "k2")
        let rotated = SealingKeys(try SealingKeyring(text: first + second, origin: "keys"))
        var ids: [String] = []
        for index in 0..<3 {
            let id = try await Self.create(store)
            _ = try await Self.revokeByAdmin(id, note: Self.note + " \(index)", keys: old, pool: pool)
            ids.append(id)
        }
        let newer = try await Self.create(store)
        _ = try await Self.revokeByAdmin(newer, keys: rotated, pool: pool)
        #expect(try await SealedColumns.keyIDsInUse(pool: pool) == ["k1", "k2"])

        let summary = try await ConsentStore.reseal(pool: pool, keys: rotated, batchSize: 2)
        #expect(summary.resealed == 3 && summary.fromKeys == ["k1": 3] && summary.fromClear == 0 && summary.keyID == "k2", "\(summary)")
        #expect(try await SealedColumns.keyIDsInUse(pool: pool) == ["k2"])
        let onlyNew = SealingKeys(try SealingKeyring(text: second, origin: "keys"))
        for (index, id) in ids.enumerated() {
            #expect(try await store.revocationNote(of: id, keys: onlyNew) == Self.note + " \(index)")
        }
        #expect(try await ConsentStore.reseal(pool: pool, keys: rotated).resealed == 0)
        await pool.close()
    }
}
