import BrokerCore
import BrokerStore
import Foundation
import Metering
import Reports

/// What `POST /v1/reports` needs besides the request's contract snapshot: the query path (subject
/// keys, decisions, records, masking), the scorecard, the subject's side of the meter ledger (the
/// query history), the HTML page and the PDF renderer pool.
public struct ReportService: Sendable {
    let queries: QueryService
    let scores: ScoreService
    let ledger: SubjectLedger
    let page: ReportPage
    let renderer: PDFRenderer
    /// SHA-256 of each suite's receipt key; a report's footer prints its partner's.
    let receiptKeySHA256: [ReceiptSuite: String]

    /// How far back a report's query history reaches.
    static let historyMonths = 24

    public init(queries: QueryService, scores: ScoreService, rights: SubjectRightsService, policies: PolicyBundle, renderer: PDFRenderer, signer: ReceiptSigner) {
        self.queries = queries
        self.scores = scores
        ledger = rights.ledger
        page = ReportPage(catalog: policies.catalog, purposes: policies.purposes)
        self.renderer = renderer
        receiptKeySHA256 = Dictionary(uniqueKeysWithValues: ReceiptSuite.allCases.map { ($0, signer.publicKeyFingerprint($0)) })
    }

    /// The report's document: everything decided for this partner at `now`.
    func document(
        _ query: QueryRequest, subjectKey: String, partner: AuthenticatedPartner, snapshot: ContractSnapshot, decision: Decision,
        records: [StoredRecord], disclosedIDs: [String], withheld: [QueryAnswer.WithheldItem], requestID: String, now: Date
    ) async throws -> ReportDocument {
        let day = CivilDate(now)
        let masker = queries.maskers[partner.contract.maskingProfile]
        let byItem = Dictionary(grouping: records, by: \.item)
        let disclosed = disclosedIDs.map { id in
            ReportDocument.DisclosedItem(item: id, records: (byItem[id] ?? []).map { record in
                let masked = masker.map { $0.mask(.object(record.fields), item: record.item) }
                let fields: [String: AnswerValue] = if case .object(let members)? = masked { members } else { [:] }
                return ReportDocument.Record(
                    fields: fields, decisionDate: record.decisionDate, publicityStart: record.publicityStart, publicityEnd: record.publicityEnd,
                    disputed: record.isDisputed, dispute: record.marks["dispute"], subjectStatement: record.marks["subject_statement"]
                )
            })
        }
        let kind = query.subject.kind
        return ReportDocument(
            requestID: requestID, partner: partner.partnerID, partnerName: partner.contract.legalName,
            contractVersion: decision.contractVersion.description, purpose: query.selection.purposeID, consentID: query.consentID,
            issuedAt: now,
            subject: .init(
                kind: kind, label: queries.label(of: query.subject, profile: partner.contract.maskingProfile),
                name: ReportDocument.Subject.name(kind: kind, in: disclosed)
            ),
            summary: summary(kind: kind, records: records, disclosed: disclosed, on: day),
            disclosed: disclosed,
            withheld: withheld.map { ReportDocument.WithheldItem(item: $0.item, reason: $0.reason, unlock: $0.unlock) },
            queryHistory: try await history(subjectKey: subjectKey, snapshot: snapshot, now: now),
            receiptKeySHA256: receiptKeySHA256[partner.contract.receiptSuite] ?? "", receiptSuite: partner.contract.receiptSuite
        )
    }

    /// The summary box: the score from the disclosed records alone (organisations), and each
    /// adverse item the catalog knows for the subject's kind at a glance.
    func summary(kind: SubjectKind, records: [StoredRecord], disclosed: [ReportDocument.DisclosedItem], on day: CivilDate) -> ReportDocument.Summary {
        let disclosedIDs = Set(disclosed.map(\.item))
        let glance = queries.catalog.items.filter { $0.alertsOnNewRecords && $0.subject == kind }.map { item in
            guard let shown = disclosed.first(where: { $0.item == item.id }) else {
                return ReportDocument.Glance(item: item.id, withheld: true, records: 0, disputed: 0, amount: nil)
            }
            let amounts = shown.records.compactMap { record -> Double? in
                switch record.fields["amount"] {
                case .int(let value)?: Double(value)
                case .decimal(let value)?: value
                default: nil
                }
            }
            return ReportDocument.Glance(
                item: item.id, withheld: false, records: shown.records.count, disputed: shown.records.count { $0.disputed },
                amount: amounts.isEmpty ? nil : amounts.reduce(0, +)
            )
        }
        guard kind == .organisation else {
            return .init(score: nil, noScore: .person, featuresPresent: nil, featuresOf: nil, glance: glance)
        }
        let available = disclosedIDs.intersection(scores.fusion.items)
        guard !available.isEmpty else {
            return .init(score: nil, noScore: .noInputDisclosed, featuresPresent: nil, featuresOf: nil, glance: glance)
        }
        let scored = scores.score(records.filter { available.contains($0.item) }, available: available, on: day)
        guard scored.sufficient else {
            return .init(
                score: nil, noScore: .insufficientData, featuresPresent: scored.coverage.present, featuresOf: scored.coverage.of, glance: glance
            )
        }
        let result = scored.result
        let score = ReportDocument.Score(
            score: result.score, grade: result.grade.rawValue, probabilityOfDefault: result.probabilityOfDefault, modelVersion: result.cardVersion,
            modelSegment: result.segment,
            declined: scored.declined.map { .init(code: $0.code, zh: $0.chinese, en: $0.english, pointsLost: nil) },
            reasons: scored.reasons.map { .init(code: $0.code, zh: $0.chinese, en: $0.english, pointsLost: $0.pointsLost) }
        )
        return .init(score: score, noScore: nil, featuresPresent: scored.coverage.present, featuresOf: scored.coverage.of, glance: glance)
    }

    /// Who queried the subject in the last two years (this report not included): the meter ledger's
    /// answers about the subject, as the subject's own "who queried me" lists them, counted per kind
    /// of partner and purpose; and the streams' deliveries of its changes.
    func history(subjectKey: String, snapshot: ContractSnapshot, now: Date) async throws -> ReportDocument.QueryHistory {
        let today = CivilDate(now)
        let from = today.adding(months: -Self.historyMonths).adding(days: 1)
        let hash = queries.hasher.meterHash(ofSubjectKey: subjectKey)
        let kind = { (partner: String) in snapshot.contracts[partner]?.kind.rawValue ?? "other" }
        let order = PartnerKind.allCases.map(\.rawValue) + ["other"]
        let rank = { (kind: String) in order.firstIndex(of: kind) ?? order.count }

        var groups: [String: (kind: String, purpose: String?, queries: Int, partners: Set<String>, last: Date)] = [:]
        for count in try await ledger.disclosureCounts(subjectHash: hash, from: from.start(), until: now) {
            let key = kind(count.partnerID) + "\u{0}" + (count.purpose ?? "")
            var group = groups[key] ?? (kind(count.partnerID), count.purpose, 0, [], count.last)
            group.queries += count.count
            group.partners.insert(count.partnerID)
            group.last = max(group.last, count.last)
            groups[key] = group
        }
        var streams: [String: (kind: String, stream: String, deliveries: Int, days: Set<CivilDate>, partners: Set<String>)] = [:]
        for delivery in try await ledger.deliveries(subjectHash: hash, from: from, to: today) {
            let key = kind(delivery.partnerID) + "\u{0}" + delivery.stream.rawValue
            var stream = streams[key] ?? (kind(delivery.partnerID), delivery.stream.rawValue, 0, [], [])
            stream.deliveries += delivery.deliveries
            stream.days.insert(delivery.day)
            stream.partners.insert(delivery.partnerID)
            streams[key] = stream
        }
        return ReportDocument.QueryHistory(
            from: from, to: today,
            groups: groups.values.sorted { (rank($0.kind), $0.purpose ?? "") < (rank($1.kind), $1.purpose ?? "") }.map {
                .init(partnerKind: $0.kind, purpose: $0.purpose, queries: $0.queries, partners: $0.partners.count, last: CivilDate($0.last))
            },
            streams: streams.values.sorted { (rank($0.kind), $0.stream) < (rank($1.kind), $1.stream) }.map {
                .init(partnerKind: $0.kind, stream: $0.stream, deliveries: $0.deliveries, days: $0.days.count, partners: $0.partners.count)
            }
        )
    }
}
