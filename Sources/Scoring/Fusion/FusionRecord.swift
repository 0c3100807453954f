import BrokerCore

/// One disclosable record of a subject, as feature fusion reads it: the catalog item id, the
/// record's fields by catalog field name, and the dates that place it in time.
///
/// The caller passes only records the partner may receive: active or disputed-and-flagged, within
/// their disclosure period, never repaired or withdrawn.
public struct FusionRecord: Sendable, Hashable {
    /// Catalog item id, for example `enterprise.penalty`.
    public var item: String
    public var fields: [String: AnswerValue]
    public var decisionDate: CivilDate?
    public var publicityStart: CivilDate?
    public var publicityEnd: CivilDate?

    public init(
        item: String, fields: [String: AnswerValue], decisionDate: CivilDate? = nil,
        publicityStart: CivilDate? = nil, publicityEnd: CivilDate? = nil
    ) {
        self.item = item
        self.fields = fields
        self.decisionDate = decisionDate
        self.publicityStart = publicityStart
        self.publicityEnd = publicityEnd
    }

    /// Field `name` as a number (`int` and `decimal` fields), `nil` when absent, null or not numeric.
    func number(_ name: String) -> Double? {
        switch fields[name] {
        case let .int(value)?: Double(value)
        case let .decimal(value)?: value
        default: nil
        }
    }

    /// Field `name` as text (string, enum, date and month fields), `nil` when absent or not text.
    func text(_ name: String) -> String? {
        if case let .string(value)? = fields[name] { value } else { nil }
    }

    /// The month of a `period` field (`YYYY-MM`) as `year * 12 + month - 1`, `nil` when absent or malformed.
    var periodIndex: Int? {
        guard let period = text("period"), let day = CivilDate(period + "-01") else { return nil }
        return day.year * 12 + day.month - 1
    }
}
