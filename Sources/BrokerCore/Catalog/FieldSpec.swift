/// One field of a data item's records.
public struct FieldSpec: Sendable, Hashable {
    /// The value type of a field; identifier types are what masking rules exist for.
    public enum FieldType: String, Sendable, Hashable, CaseIterable {
        case string, int, decimal, bool, date, month, `enum`
        case uscc
        case residentID = "resident_id"
        case personName = "person_name"
        case mobile
        case bankCard = "bank_card"
        case address
    }

    /// Field name as it appears in records and answers.
    public let name: String
    public let type: FieldType
    /// The allowed values of an `enum` field (empty for other types).
    public let values: [String]
    /// The masking rule (from `Policies/masking.yaml`) applied before the field leaves the broker.
    public let mask: String?
    /// Whether a feed line without this field is rejected.
    public let required: Bool
}
