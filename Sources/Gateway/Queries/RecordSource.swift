import BrokerCore

/// Where `POST /v1/queries` reads records: the subject's records of the disclosed items that may be
/// disclosed on a day (status and disclosure window already applied), in one round trip.
///
/// The records store (`BrokerStore.RecordStore.disclosableRecords(of:items:on:)`) conforms with a
/// one-line adapter once it is on the main branch.
public protocol RecordSource: Sendable {
    func disclosableRecords(of subjectKey: String, items: [String], on day: CivilDate) async throws -> [DisclosableRecord]
}

/// One record as the query route discloses it (before masking).
public struct DisclosableRecord: Sendable, Hashable {
    public let item: String
    public let fields: [String: AnswerValue]
    /// Returned marked as disputed (only for items whose catalog rule says `disputed: flag`).
    public let isDisputed: Bool

    public init(item: String, fields: [String: AnswerValue], isDisputed: Bool) {
        self.item = item
        self.fields = fields
        self.isDisputed = isDisputed
    }
}
