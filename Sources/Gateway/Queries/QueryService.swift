import BrokerCore
import BrokerStore
import Foundation

/// What `POST /v1/queries` needs: the compiled contracts, the catalog, one masker per profile,
/// the person-key hasher and the records.
public struct QueryService: Sendable {
    let engine: DecisionEngine
    let catalog: Catalog
    let maskers: [String: Masker]
    let masking: MaskingPolicy
    let hasher: PersonKeyHasher
    let records: RecordStore

    /// - Parameter contracts: one contract per partner (e.g. `ContractSet.governing(on:)`).
    public init(contracts: [Contract], policies: PolicyBundle, hasher: PersonKeyHasher, records: RecordStore) {
        engine = DecisionEngine(contracts: contracts, catalog: policies.catalog, purposes: policies.purposes)
        catalog = policies.catalog
        maskers = policies.masking.profiles.mapValues { Masker(catalog: policies.catalog, policy: policies.masking, profile: $0) }
        masking = policies.masking
        self.hasher = hasher
        self.records = records
    }

    /// The key subjects are stored under: the USCC, or the keyed hash of the ID number.
    func subjectKey(_ subject: SubjectIdentifier) -> String {
        switch subject {
        case .organisation(let code): code.rawValue
        case .person(let number): hasher.key(for: number).hex
        }
    }

    /// The disclosed items in `ids` order with their records (of one subject), disputed records
    /// flagged, masked with `masker`; without a masker (a profile the policy lacks) every record is hidden.
    func disclosedItems(_ ids: [String], records: [StoredRecord], masker: Masker?) -> [QueryAnswer.DisclosedItem] {
        let byItem = Dictionary(grouping: records, by: \.item)
        return ids.map { id in
            QueryAnswer.DisclosedItem(item: id, records: (byItem[id] ?? []).map { record in
                var fields = record.fields
                if record.isDisputed { fields["disputed"] = .bool(true) }
                return masker.map { $0.mask(.object(fields), item: id) } ?? .null
            })
        }
    }

    /// The ids of `decision`'s disclosed items and its withheld manifest, in request order.
    func partition(_ decision: Decision, of itemIDs: [String]) -> (disclosed: [String], withheld: [QueryAnswer.WithheldItem]) {
        var disclosed: [String] = []
        var withheld: [QueryAnswer.WithheldItem] = []
        for (id, item) in zip(itemIDs, decision.items) {
            switch item {
            case .disclosed: disclosed.append(id)
            case let .withheld(reason, unlock):
                withheld.append(.init(item: id, reason: reason, unlock: unlock, unlockText: unlock.text))
            }
        }
        return (disclosed, withheld)
    }
}
