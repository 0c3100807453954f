import Billing
@testable import BrokerCore
import BrokerStore
import Foundation
import PostgresClient
import TestSupport

/// Contracts and meter events written straight into a fresh database, as the gateway would have
/// written them: each event names the digest of the version that governed its partner then.
enum BillingFixtures {
    /// Long after every month the tests close.
    static let now = Instant.parse("2031-06-01T00:00:00+08:00")!
    static let items = ["enterprise.registration", "enterprise.penalty", "enterprise.tax_credit_level", "market.litigation"]

    /// A migrated fresh database.
    static func database(_ label: String = #function) async throws -> PostgresPool {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(label), maxConnections: 4))
        try await Migrator(pool: pool).migrate()
        return pool
    }

    /// A credit agency's contract whose term covers `month` and a few days around it.
    static func contract(partner: String, label: String, month: CivilMonth, prices: Contract.Prices) -> Contract {
        Contract(
            partnerID: partner, legalName: "测试征信 \(partner)", kind: .creditAgency, versionLabel: label,
            term: .init(from: month.firstDay.adding(days: -5), to: month.lastDay.adding(days: 5)),
            authentication: .init(certificates: [], apiKeyIDs: []), purposes: ["credit_report"], maskingProfile: "standard",
            quotas: .init(perDay: nil, perMonth: nil), rateLimit: .init(perSecond: 10, burst: 20), prices: prices,
            grants: [:], receipts: nil
        )
    }

    /// Activates `contract` from `effectiveFrom`, as an approval would.
    static func activate(_ contract: Contract, from effectiveFrom: Date, pool: PostgresPool) async throws {
        let version = contract.version
        try await pool.query("""
            INSERT INTO contract_versions (partner_id, label, digest, term_from, term_to, body, source_file, effective_from)
            VALUES (\(contract.partnerID), \(version.label), \(version.digest), \(contract.term.from.description)::date,
                    \(contract.term.to.description)::date, \(String(decoding: contract.canonicalJSON, as: UTF8.self))::jsonb, 'billing test',
                    \(effectiveFrom))
            """)
    }

    /// One meter event.
    struct Event {
        var partner: String
        var requestID: String
        var route: String
        var status: Int
        var disclosed: [String]
        var withheld: [String] = []
        var occurredAt: Date
        var contract: Contract
    }

    /// Inserts the events one by one, in order (so the ledger's ids follow the array).
    static func insert(_ events: [Event], pool: PostgresPool) async throws {
        for event in events {
            let disclosed = String(decoding: AnswerValue.array(event.disclosed.map(AnswerValue.string)).json, as: UTF8.self)
            let withheld = String(decoding: AnswerValue.array(event.withheld.map {
                .object(["item": .string($0), "reason": .string("not_in_contract")])
            }).json, as: UTF8.self)
            try await pool.query("""
                INSERT INTO meter_events (partner_id, request_id, endpoint, purpose, items_disclosed, items_withheld, consent_id,
                                          contract_label, contract_digest, http_status, latency_us, response_bytes, subject_hash, occurred_at)
                VALUES (\(event.partner), \(event.requestID), \(event.route), 'credit_report', \(disclosed)::jsonb, \(withheld)::jsonb, NULL,
                        \(event.contract.versionLabel), \(event.contract.version.digest), \(event.status), 1200, 512,
                        \(String(repeating: "ab", count: 32)), timestamptz 'epoch' + \(Int64((event.occurredAt.timeIntervalSince1970 * 1_000).rounded()))::bigint * interval '1 millisecond')
                """)
        }
    }
}
