import BrokerCore
import BrokerStore
import Foundation
import Metering
import PostgresClient

/// What the subject's rights need: the query service (subject keys, maskers, records, consents),
/// the disputes, and the subject's side of the meter ledger.
public struct SubjectRightsService: Sendable {
    /// The purpose every portal call is metered under.
    static let portalPurpose = "subject_rights"
    /// The purpose the data sources' dispute feed is metered under.
    static let sourcePurpose = "dispute_handling"

    let queries: QueryService
    let disputes: DisputeStore
    let ledger: SubjectLedger

    /// - Parameter keys: seal the subject's words in a dispute and open them.
    public init(queries: QueryService, pool: PostgresPool, keys: SealingKeys) {
        self.queries = queries
        disputes = DisputeStore(pool: pool, keys: keys)
        ledger = SubjectLedger(pool: pool)
    }

    /// The keyed hash the meter ledger knows the subject by.
    func meterHash(ofSubjectKey key: String) -> String {
        queries.hasher.meterHash(ofSubjectKey: key)
    }

    /// Adds a stream page's deliveries (`records`: what it delivered) to the subjects' day counts, and
    /// registers taking them back if the page does not leave.
    func recordDeliveries(
        of records: [(subjectKey: String, item: String)], stream: StreamDelivery.Stream, partnerID: String, day: CivilDate, note: MeterNote
    ) async throws {
        var bySubject: [String: SubjectLedger.Delivered] = [:]
        for record in records {
            let hash = meterHash(ofSubjectKey: record.subjectKey)
            var entry = bySubject[hash] ?? SubjectLedger.Delivered(subjectHash: hash, count: 0, items: [])
            entry.count += 1
            if !entry.items.contains(record.item) { entry.items.append(record.item) }
            bySubject[hash] = entry
        }
        let delivered = bySubject.values.sorted { $0.subjectHash < $1.subjectHash }
        try await ledger.record(delivered, day: day, partnerID: partnerID, stream: stream)
        note.whenWithheld { [ledger] in try? await ledger.takeBack(delivered, day: day, partnerID: partnerID, stream: stream) }
    }
}
