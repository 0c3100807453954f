import Foundation

/// What-if: a partner's recorded decisions replayed against a proposed contract, item by item.
///
/// Each recorded decision is what the meter ledger holds of an answer: its request id, purpose,
/// the items disclosed and withheld (with reasons) and whether it named a consent. The replay decides
/// the same items for the same purpose under the proposal, as if it had governed then: inside its
/// term, without quota, and with a consent covering every requested item for that purpose when the
/// request named one (the ledger records a consent's presence, not its scope). It counts, per item,
/// the decisions that would flip: disclosed → withheld (with the new reasons) and withheld →
/// disclosed, with a few request ids of each.
public enum DecisionReplay {
    /// One decided answer as the meter ledger recorded it.
    public struct Recorded: Sendable, Hashable {
        public let requestID: String
        public let purpose: String
        public let disclosed: [String]
        /// Item → reason.
        public let withheld: [String: WithholdReason]
        public let consentNamed: Bool

        public init(requestID: String, purpose: String, disclosed: [String], withheld: [String: WithholdReason], consentNamed: Bool) {
            self.requestID = requestID
            self.purpose = purpose
            self.disclosed = disclosed
            self.withheld = withheld
            self.consentNamed = consentNamed
        }
    }

    /// The flips of one item.
    public struct ItemFlips: Sendable, Hashable {
        public let item: String
        /// Decisions of the item replayed.
        public var decisions = 0
        public var disclosedToWithheld = 0
        public var withheldToDisclosed = 0
        /// The new reasons of the disclosed → withheld flips, with their counts.
        public var newReasons: [WithholdReason: Int] = [:]
        /// Up to `examples` request ids of each kind of flip, oldest first.
        public var disclosedToWithheldExamples: [String] = []
        public var withheldToDisclosedExamples: [String] = []
    }

    public struct Report: Sendable, Hashable {
        /// Recorded decisions replayed (those with a purpose the catalog still knows).
        public let decisions: Int
        /// Per item asked at least once, in catalog order.
        public let items: [ItemFlips]
    }

    /// Replays `recorded` (oldest first) against `proposal`.
    public static func replay(
        _ recorded: [Recorded], against proposal: Contract, catalog: Catalog, purposes: PurposeCatalog, examples: Int = 5
    ) -> Report {
        let engine = DecisionEngine(contracts: [proposal], catalog: catalog, purposes: purposes)
        guard let partner = engine.partner(proposal.partnerID) else { return Report(decisions: 0, items: []) }
        // As if the proposal governed: an instant inside its term.
        let instant = proposal.term.from.start()
        var flips: [String: ItemFlips] = [:]
        var replayed = 0
        for decision in recorded {
            guard let purpose = engine.purpose(decision.purpose) else { continue }
            let asked = decision.disclosed + decision.withheld.keys.sorted()
            let known = asked.compactMap { id in engine.item(id).map { (id, $0) } }
            guard !known.isEmpty else { continue }
            replayed += 1
            let consent = decision.consentNamed ? Consent(
                id: "what-if", subject: "", purposes: [decision.purpose], items: known.map(\.0), categories: [],
                validFrom: proposal.term.from.start(), validTo: proposal.term.to.adding(days: 1).start(), useLimit: .unlimited,
                documentDigest: String(repeating: "0", count: 64)
            ) : nil
            let outcome = engine.decide(DecisionRequest(
                partner: partner, subject: "", items: known.map(\.1), purpose: purpose, consent: consent, at: instant
            ))
            for ((id, _), item) in zip(known, outcome.items) {
                var entry = flips[id] ?? ItemFlips(item: id)
                entry.decisions += 1
                let wasDisclosed = decision.disclosed.contains(id)
                switch item {
                case .disclosed where !wasDisclosed:
                    entry.withheldToDisclosed += 1
                    if entry.withheldToDisclosedExamples.count < examples { entry.withheldToDisclosedExamples.append(decision.requestID) }
                case .withheld(let reason, _) where wasDisclosed:
                    entry.disclosedToWithheld += 1
                    entry.newReasons[reason, default: 0] += 1
                    if entry.disclosedToWithheldExamples.count < examples { entry.disclosedToWithheldExamples.append(decision.requestID) }
                default:
                    break
                }
                flips[id] = entry
            }
        }
        return Report(decisions: replayed, items: catalog.items.compactMap { flips[$0.id] })
    }
}
