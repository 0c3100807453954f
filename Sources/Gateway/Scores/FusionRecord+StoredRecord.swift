import BrokerStore
import Scoring

extension FusionRecord {
    /// A stored record as fusion input.
    init(_ record: StoredRecord) {
        self.init(
            item: record.item, fields: record.fields, decisionDate: record.decisionDate,
            publicityStart: record.publicityStart, publicityEnd: record.publicityEnd
        )
    }
}
