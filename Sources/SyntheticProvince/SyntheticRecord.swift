import BrokerCore

/// One generated feed record: a line of `public.jsonl` or a row of a market CSV file.
public struct SyntheticRecord: Sendable, Hashable {
    public let item: SyntheticItem
    /// The subject: a USCC for organisation items, the clear ID number for person items.
    public let subject: String
    public let sourceRecordID: String
    public let decisionDate: CivilDate?
    public let publicityStart: CivilDate?
    public let publicityEnd: CivilDate?
    /// One value per name in `item.fieldNames`, in that order.
    public let values: [FieldValue]

    init(
        _ item: SyntheticItem, subject: String, id sourceRecordID: String, decided: CivilDate? = nil,
        publicity: (start: CivilDate, end: CivilDate?)? = nil, values: [FieldValue]
    ) {
        precondition(values.count == item.fieldNames.count, "\(item.rawValue) has \(item.fieldNames.count) fields")
        self.item = item
        self.subject = subject
        self.sourceRecordID = sourceRecordID
        decisionDate = decided
        publicityStart = publicity?.start
        publicityEnd = publicity?.end
        self.values = values
    }

    /// The value of the named field, `nil` if the item has no such field.
    public subscript(field: String) -> FieldValue? {
        item.fieldNames.firstIndex(of: field).map { values[$0] }
    }
}
