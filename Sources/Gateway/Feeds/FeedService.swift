import BrokerCore
import BrokerStore
import Crypto
import Foundation
import PostgresClient
import Synchronization

/// What the change feed and post-loan monitoring need: the query service's contracts, catalog
/// and maskers, the watchlists, the daily disclosure sweep and the partners' subject references.
public final class FeedService: Sendable {
    /// The purpose the change feed is decided for.
    static let feedPurpose = "change_feed"
    /// The purpose watchlists and alerts are decided for.
    static let monitoringPurpose = "post_loan_monitoring"

    let queries: QueryService
    let watchlist: WatchlistStore
    private let sweep: DisclosureSweep
    private let referenceSecret: [UInt8]
    private let sweptThrough = Mutex<CivilDate?>(nil)

    /// - Parameter referenceSecret: the server secret (at least 32 random bytes) partners' subject
    ///   references derive from (`SubjectPseudonymizer`).
    public init(queries: QueryService, referenceSecret: [UInt8], pool: PostgresPool) {
        self.queries = queries
        self.watchlist = WatchlistStore(pool: pool)
        self.sweep = DisclosureSweep(pool: pool)
        self.referenceSecret = referenceSecret
    }

    /// The partner's pseudonymous references.
    func pseudonymizer(for partner: AuthenticatedPartner) -> SubjectPseudonymizer {
        SubjectPseudonymizer(serverSecret: SymmetricKey(data: referenceSecret), partnerID: partner.partnerID)
    }

    /// The items the partner's contract (in the request's snapshot, whose engine is `engine`)
    /// discloses for `purpose` without a consent, at `time`.
    func coveredItems(
        _ partner: AuthenticatedPartner, engine: DecisionEngine, purpose: String, at time: Date
    ) throws(Problem) -> (items: [String], version: ContractVersion) {
        guard let purposeID = engine.purpose(purpose) else {
            preconditionFailure("the purpose catalog lacks \(purpose), which the change feed and monitoring decide for")
        }
        let all = engine.allItems
        // Without a consent, no decision depends on the subject.
        let decision = engine.decide(DecisionRequest(partner: partner.handle, subject: "", items: all, purpose: purposeID, at: time))
        let items = zip(queries.catalog.items, decision.items).filter { $0.1.isDisclosed }.map(\.0.id)
        guard !items.isEmpty else {
            throw Problem(
                "purpose-not-allowed", title: "Purpose not allowed", status: .forbidden,
                detail: "The partner's contract in force discloses no item for \(purpose).", field: "purpose"
            )
        }
        return (items, decision.contractVersion)
    }

    /// Sends records whose disclosure window opened or closed since the last sweep to the change
    /// feed, at most once per process and day (the sweep itself is idempotent across processes).
    func sweepIfDue(_ today: CivilDate) async throws {
        guard sweptThrough.withLock({ $0.map { $0 < today } ?? true }) else { return }
        try await sweep.sweep(through: today)
        sweptThrough.withLock { $0 = max($0 ?? today, today) }
    }
}
