import BrokerCore
import BrokerStore
import Foundation
import PostgresClient

/// What `POST /v1/queries` and the consent routes need besides the request's contract snapshot:
/// the catalog, one masker per profile, the person-key hasher, the records and the partners' consents.
public struct QueryService: Sendable {
    let catalog: Catalog
    let masking: MaskingPolicy
    let maskers: [String: Masker]
    let hasher: PersonKeyHasher
    /// Record and consent lookups: the standby while it is fresh, else the primary.
    let reads: DatabaseReads
    /// The consents on the primary: registration, revocation, `GET /v1/consents/{id}` (a partner
    /// reads back what it just changed), and each use, spent and checked in one statement.
    let consents: ConsentStore

    /// - Parameter pool: the primary's, where consents are registered, revoked and spent.
    public init(policies: PolicyBundle, hasher: PersonKeyHasher, reads: DatabaseReads, pool: PostgresPool) {
        catalog = policies.catalog
        masking = policies.masking
        maskers = policies.masking.profiles.mapValues { Masker(catalog: policies.catalog, policy: policies.masking, profile: $0) }
        self.hasher = hasher
        self.reads = reads
        consents = ConsentStore(pool: pool)
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
    /// The consent may come from a standby (`DatabaseReads`), which can lag: one it does not hold
    /// is looked up on the primary, and the answer never rests on the standby's word alone. When
    /// a use is spent, the primary's `UPDATE` checks revocation, validity and the limit in the same
    /// statement; when none is spent (nothing on file under what it unlocks, or nothing unlocked),
    /// the consent is read again on the primary and the query decided with that if it differs (a
    /// revocation or the last use not yet replayed). So a revocation holds from the next query.
    ///
    /// - Throws: `Problem.queryConsentNotFound` when the partner has no such consent about this subject.
    func decide(
        _ query: QueryRequest, partner: AuthenticatedPartner, engine: DecisionEngine, subjectKey: String, at now: Date, note: MeterNote
    ) async throws -> (decision: Decision, records: [StoredRecord]) {
        let partnerID = partner.partnerID
        let request = DecisionRequest(partner: partner.handle, subject: subjectKey, items: query.selection.items, purpose: query.selection.purpose, at: now)
        let unconsented = engine.decide(request, consent: nil)
        guard let consentID = query.consentID else {
            return (unconsented, try await records(disclosedBy: unconsented, of: query, subjectKey: subjectKey, at: now))
        }
        var (read, unconfirmed) = try await reads.consent(id: consentID, partnerID: partnerID)
        while true {
            guard let stored = read, stored.consent.subject == subjectKey else { throw Problem.queryConsentNotFound }
            let decision = engine.decide(request, consent: engine.compile(stored.consent))
            let found = try await records(disclosedBy: decision, of: query, subjectKey: subjectKey, at: now)
            let unlocked = Set(Self.unlocked(decision, beyond: unconsented, itemIDs: query.selection.itemIDs))
            if found.contains(where: { unlocked.contains($0.item) }) {
                return try await spend(
                    consentID, decision: decision, found: found, unconsented: unconsented, request: request, engine: engine,
                    partnerID: partnerID, at: now, note: note, itemIDs: query.selection.itemIDs
                )
            }
            // Nothing on file under the consent: nothing it unlocked is disclosed, so no use is
            // spent, and the answer rests on the consent as read. From a standby, it is read again
            // on the primary, and the query decided again if the standby was behind.
            guard unconfirmed else { return (decision, found) }
            unconfirmed = false
            let current = try await consents.fetch(id: consentID, partnerID: partnerID)
            if current == stored { return (decision, found) }
            read = current
        }
    }

    /// Spends one use of the consent on the primary for an answer that discloses a record it
    /// unlocked. If the use cannot be spent (revoked, expired or used up since it was read), the
    /// query is decided with the consent as it stands now, without the items it would unlock.
    private func spend(
        _ consentID: String, decision: Decision, found: [StoredRecord], unconsented: Decision, request: DecisionRequest, engine: DecisionEngine,
        partnerID: String, at now: Date, note: MeterNote, itemIDs: [String]
    ) async throws -> (decision: Decision, records: [StoredRecord]) {
        if try await consents.use(id: consentID, partnerID: partnerID, at: now) != nil {
            note.whenWithheld { [consents] in _ = try? await consents.giveBack(id: consentID, partnerID: partnerID) }
            return (decision, found)
        }
        let current = try await consents.fetch(id: consentID, partnerID: partnerID)
        let redecided = current.map { engine.decide(request, consent: engine.compile($0.consent)) } ?? unconsented
        let final = Self.unlocked(redecided, beyond: unconsented, itemIDs: itemIDs).isEmpty ? redecided : unconsented
        let allowed = Set(partition(final, of: itemIDs).disclosed)
        return (final, found.filter { allowed.contains($0.item) })
    }

    /// The records of the items `decision` discloses.
    private func records(disclosedBy decision: Decision, of query: QueryRequest, subjectKey: String, at now: Date) async throws -> [StoredRecord] {
        let disclosedIDs = partition(decision, of: query.selection.itemIDs).disclosed
        guard !disclosedIDs.isEmpty else { return [] }
        return try await reads.records { try await $0.disclosableRecords(of: subjectKey, items: disclosedIDs, on: CivilDate(now)) }
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
