import BrokerCore

/// A field value in a generated record, typed as the catalog types it.
public enum FieldValue: Sendable, Hashable {
    /// string, enum, uscc, resident_id, person_name, mobile, bank_card and address fields.
    case text(String)
    case int(Int)
    /// A decimal with two places, held in hundredths (12345 = 123.45).
    case decimal(hundredths: Int64)
    case bool(Bool)
    case date(CivilDate)
    /// A `YYYY-MM` month.
    case month(year: Int, month: Int)
    /// An optional field left empty.
    case null

    /// A decimal from a `Double`, rounded to two places.
    static func amount(_ value: Double) -> FieldValue {
        .decimal(hundredths: Int64((value * 100).rounded()))
    }
}
