import BrokerCore
import BrokerStore
import Foundation

/// What `POST /v1/queries` and the consent routes need besides the request's contract snapshot:
/// the catalog, one masker per profile, the person-key hasher, the records and the partners' consents.
public struct QueryService: Sendable {
    let catalog: Catalog
    let masking: MaskingPolicy
    let maskers: [String: Masker]
    let hasher: PersonKeyHasher
    let records: RecordStore
    let consents: ConsentStore

    /// - Parameter records: its pool also holds the consents.
    public init(policies: PolicyBundle, hasher: PersonKeyHasher, records: RecordStore) {
        catalog = policies.catalog
        masking = policies.masking
        maskers = policies.masking.profiles.mapValues { Masker(catalog: policies.catalog, policy: policies.masking, profile: $0) }
        self.hasher = hasher
        self.records = records
        consents = ConsentStore(pool: records.pool)
    }

    /// The key subjects are stored under: the USCC, or the keyed hash of the ID number.
    func subjectKey(_ subject: SubjectIdentifier) -> String {
        switch subject {
        case .organisation(let code): code.rawValue
        case .person(let number): hasher.key(for: number).hex
        }
    }

    /// The subject's identifier masked as an ID number under `profile` (fully hidden if the policy lacks it).
    func maskedIdentifier(_ subject: SubjectIdentifier, profile: String) -> String {
        let text = switch subject {
        case .organisation(let code): code.rawValue
        case .person(let number): number.rawValue
        }
        return idNumberRule(profile).apply(to: text, compoundSurnames: masking.compoundSurnames)
    }

    /// How a partner sees a subject: the USCC (a public code), or the ID number masked with the
    /// partner's profile (fully hidden if the policy lacks it).
    func label(of subject: SubjectIdentifier, profile: String) -> String {
        switch subject {
        case .organisation(let code): code.rawValue
        case .person(let number): idNumberRule(profile).apply(to: number.rawValue, compoundSurnames: masking.compoundSurnames)
        }
    }

    private func idNumberRule(_ profile: String) -> MaskingRule {
        masking.profiles[profile].flatMap { masking.rule("id_number", under: $0) } ?? .hidden
    }

    /// Decides `query` about `subjectKey` for the partner with `engine` (of the request's snapshot), with the partner's consent if the query
    /// names one, and spends one use of that consent when (and only when) the decision discloses an
    /// item that the consent alone unlocks; `note` gives the use back if the answer never leaves.
    ///
    /// - Throws: `Problem.queryConsentNotFound` when the partner has no such consent about this subject.
    func decide(
        _ query: QueryRequest, partner: AuthenticatedPartner, engine: DecisionEngine, subjectKey: String, at now: Date, note: MeterNote
    ) async throws -> Decision {
        let partnerID = partner.partnerID
        let request = DecisionRequest(partner: partner.handle, subject: subjectKey, items: query.selection.items, purpose: query.selection.purpose, at: now)
        let unconsented = engine.decide(request, consent: nil)
        guard let consentID = query.consentID else { return unconsented }
        guard let stored = try await consents.fetch(id: consentID, partnerID: partnerID), stored.consent.subject == subjectKey else {
            throw Problem.queryConsentNotFound
        }
        let consented = engine.decide(request, consent: engine.compile(stored.consent))
        guard Self.consentUnlocks(consented, beyond: unconsented) else { return consented }
        if try await consents.use(id: consentID, partnerID: partnerID, at: now) != nil {
            note.whenWithheld { [consents] in _ = try? await consents.giveBack(id: consentID, partnerID: partnerID) }
            return consented
        }
        // Revoked or used up since it was read: decide with the consent as it stands now.
        let current = try await consents.fetch(id: consentID, partnerID: partnerID)
        let redecided = current.map { engine.decide(request, consent: engine.compile($0.consent)) } ?? unconsented
        return Self.consentUnlocks(redecided, beyond: unconsented) ? unconsented : redecided
    }

    /// Whether `consented` discloses an item that `unconsented` withholds.
    private static func consentUnlocks(_ consented: Decision, beyond unconsented: Decision) -> Bool {
        zip(consented.items, unconsented.items).contains { $0.isDisclosed && !$1.isDisclosed }
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
