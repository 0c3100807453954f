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

    /// Decides `query` about `subjectKey` for the partner with `engine` (of the request's snapshot),
    /// with the partner's consent if the query names one, and fetches the disclosed items' records.
    /// One use of the consent is spent when (and only when) an item that the consent alone unlocks
    /// has a record to disclose: an item with nothing on file spends nothing. `note` gives the use
    /// back if the answer never leaves.
    ///
    /// - Throws: `Problem.queryConsentNotFound` when the partner has no such consent about this subject.
    func decide(
        _ query: QueryRequest, partner: AuthenticatedPartner, engine: DecisionEngine, subjectKey: String, at now: Date, note: MeterNote
    ) async throws -> (decision: Decision, records: [StoredRecord]) {
        let partnerID = partner.partnerID
        let request = DecisionRequest(partner: partner.handle, subject: subjectKey, items: query.selection.items, purpose: query.selection.purpose, at: now)
        let unconsented = engine.decide(request, consent: nil)
        var decision = unconsented
        if let consentID = query.consentID {
            guard let stored = try await consents.fetch(id: consentID, partnerID: partnerID), stored.consent.subject == subjectKey else {
                throw Problem.queryConsentNotFound
            }
            decision = engine.decide(request, consent: engine.compile(stored.consent))
        }
        let disclosedIDs = partition(decision, of: query.selection.itemIDs).disclosed
        let found = disclosedIDs.isEmpty ? [] : try await records.disclosableRecords(of: subjectKey, items: disclosedIDs, on: CivilDate(now))
        guard let consentID = query.consentID else { return (decision, found) }
        let unlocked = Set(Self.unlocked(decision, beyond: unconsented, itemIDs: query.selection.itemIDs))
        // Nothing on file under the consent: nothing it unlocked is disclosed, so no use is spent.
        guard found.contains(where: { unlocked.contains($0.item) }) else { return (decision, found) }
        if try await consents.use(id: consentID, partnerID: partnerID, at: now) != nil {
            note.whenWithheld { [consents] in _ = try? await consents.giveBack(id: consentID, partnerID: partnerID) }
            return (decision, found)
        }
        // Revoked or used up since it was read: decide with the consent as it stands now, without
        // the items it would unlock (their use could not be spent).
        let current = try await consents.fetch(id: consentID, partnerID: partnerID)
        let redecided = current.map { engine.decide(request, consent: engine.compile($0.consent)) } ?? unconsented
        let final = Self.unlocked(redecided, beyond: unconsented, itemIDs: query.selection.itemIDs).isEmpty ? redecided : unconsented
        let allowed = Set(partition(final, of: query.selection.itemIDs).disclosed)
        return (final, found.filter { allowed.contains($0.item) })
    }

    /// The ids of the items `consented` discloses and `unconsented` withholds.
    private static func unlocked(_ consented: Decision, beyond unconsented: Decision, itemIDs: [String]) -> [String] {
        zip(itemIDs, zip(consented.items, unconsented.items)).compactMap { id, pair in
            pair.0.isDisclosed && !pair.1.isDisclosed ? id : nil
        }
    }

    /// The disclosed items in `ids` order with their records (of one subject), disputed records
    /// flagged, masked with `masker`; without a masker (a profile the policy lacks) every record is hidden.
    func disclosedItems(_ ids: [String], records: [StoredRecord], masker: Masker?) -> [QueryAnswer.DisclosedItem] {
        let byItem = Dictionary(grouping: records, by: \.item)
        return ids.map { id in
            QueryAnswer.DisclosedItem(item: id, records: (byItem[id] ?? []).map { markedFields(of: $0, masker: masker) })
        }
    }

    /// A record as an answer discloses it: its fields masked with `masker` (hidden without one), a
    /// disputed record flagged `"disputed": true`, and the broker's marks beside them (the open
    /// dispute's id, filing day and deadline; the subject's statement kept beside a confirmed record).
    func markedFields(of record: StoredRecord, masker: Masker?) -> AnswerValue {
        var fields = record.fields
        if record.isDisputed { fields["disputed"] = .bool(true) }
        return Self.withMarks(masker.map { $0.mask(.object(fields), item: record.item) } ?? .null, of: record)
    }

    /// `masked` (a record's masked fields) with the record's marks added: the broker's own words, not
    /// the source's fields, so they are not masked.
    static func withMarks(_ masked: AnswerValue, of record: StoredRecord) -> AnswerValue {
        guard !record.marks.isEmpty, case .object(var members) = masked else { return masked }
        for (name, mark) in record.marks { members[name] = mark }
        return .object(members)
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
