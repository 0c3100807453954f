import BrokerCore
import BrokerStore
import Foundation
import PostgresClient
import TestSupport
import Testing

@Suite struct ConsentStoreTests {
    static let bank = "bank.icbc_jiangsu"
    static let otherBank = "bank.boc_jiangsu"

    static func consent(useLimit: Consent.UseLimit, from: Date = Date(timeIntervalSinceNow: -60), to: Date = Date(timeIntervalSinceNow: 3_600)) -> Consent {
        Consent(
            id: ConsentStore.newID(), subject: "91350100M000100Y43", purposes: ["credit_approval"],
            items: ["market.real_estate"], categories: ["tax"], validFrom: from, validTo: to, useLimit: useLimit,
            documentDigest: String(repeating: "ab", count: 32)
        )
    }

    static func store() async throws -> (ConsentStore, PostgresPool) {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 8))
        try await Migrator(pool: pool).migrate()
        return (ConsentStore(pool: pool), pool)
    }

    @Test func twentyConcurrentUsesOfAFiveUseConsentSpendExactlyFive() async throws {
        let (store, pool) = try await Self.store()
        let consent = try await store.create(Self.consent(useLimit: .times(5)), partnerID: Self.bank, maskedSubject: "913501********0Y43")
        let spent = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                group.addTask { try await store.use(id: consent.consent.id, partnerID: Self.bank) != nil }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(spent == 5)
        let after = try #require(try await store.fetch(id: consent.consent.id, partnerID: Self.bank))
        #expect(after.consent.usesSoFar == 5)
        #expect(after.status(at: Date()) == .usedUp)
        #expect(after.usedUpAt != nil && after.reason(at: Date()) == .usesExhausted)
        await pool.close()
    }

    @Test func aConsentRoundTripsAndIdsAreUnguessable() async throws {
        let (store, pool) = try await Self.store()
        let original = Self.consent(useLimit: .once)
        let created = try await store.create(original, partnerID: Self.bank, maskedSubject: "913501********0Y43")
        let fetched = try #require(try await store.fetch(id: original.id, partnerID: Self.bank))
        #expect(fetched == created)
        #expect(fetched.consent.purposes == original.purposes && fetched.consent.items == original.items)
        #expect(fetched.consent.categories == original.categories && fetched.consent.useLimit == .once)
        #expect(abs(fetched.consent.validTo.timeIntervalSince(original.validTo)) < 0.001)
        #expect(fetched.status(at: Date()) == .active)
        let ids = Set((0..<1_000).map { _ in ConsentStore.newID() })
        #expect(ids.count == 1_000)
        #expect(ids.allSatisfy { $0.wholeMatch(of: /cs_[0-9a-f]{32}/) != nil })
        await pool.close()
    }

    @Test func anotherPartnerCanNeitherSeeNorUseNorRevoke() async throws {
        let (store, pool) = try await Self.store()
        let consent = try await store.create(Self.consent(useLimit: .unlimited), partnerID: Self.bank, maskedSubject: "x")
        let id = consent.consent.id
        #expect(try await store.fetch(id: id, partnerID: Self.otherBank) == nil)
        #expect(try await store.use(id: id, partnerID: Self.otherBank) == nil)
        #expect(try await store.revoke(id: id, partnerID: Self.otherBank) == nil)
        let untouched = try #require(try await store.fetch(id: id, partnerID: Self.bank))
        #expect(untouched.revokedAt == nil && untouched.consent.usesSoFar == 0)
        await pool.close()
    }

    @Test func revokedExpiredAndNotYetValidConsentsAreNotUsed() async throws {
        let (store, pool) = try await Self.store()
        let revoked = try await store.create(Self.consent(useLimit: .unlimited), partnerID: Self.bank, maskedSubject: "x")
        #expect(try await store.use(id: revoked.consent.id, partnerID: Self.bank) != nil)
        let first = try #require(try await store.revoke(id: revoked.consent.id, partnerID: Self.bank, at: Date(timeIntervalSince1970: 1_800_000_000)))
        let second = try #require(try await store.revoke(id: revoked.consent.id, partnerID: Self.bank))
        #expect(second.revokedAt == first.revokedAt)
        #expect(second.consent.revoked && second.status(at: Date()) == .revoked)
        #expect(try await store.use(id: revoked.consent.id, partnerID: Self.bank) == nil)

        let expired = try await store.create(
            Self.consent(useLimit: .unlimited, from: Date(timeIntervalSinceNow: -7_200), to: Date(timeIntervalSinceNow: -3_600)),
            partnerID: Self.bank, maskedSubject: "x"
        )
        #expect(try await store.use(id: expired.consent.id, partnerID: Self.bank) == nil)
        #expect(expired.status(at: Date()) == .expired)
        let future = try await store.create(
            Self.consent(useLimit: .unlimited, from: Date(timeIntervalSinceNow: 3_600), to: Date(timeIntervalSinceNow: 7_200)),
            partnerID: Self.bank, maskedSubject: "x"
        )
        #expect(try await store.use(id: future.consent.id, partnerID: Self.bank) == nil)
        #expect(future.status(at: Date()) == .notYetValid)
        await pool.close()
    }
}
