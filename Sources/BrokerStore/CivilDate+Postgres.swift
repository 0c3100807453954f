import BrokerCore
import PostgresClient

/// A `CivilDate` binds as a `date` parameter and decodes from a `date` column, so days cross the
/// database boundary as days (not as text cast back and forth).
extension CivilDate: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter {
        let (year, month, day) = components
        return PostgresDay(year: year, month: month, day: day).postgresParameter
    }

    public static let acceptedTypes: Set<PostgresDataType> = PostgresDay.acceptedTypes

    public init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        let day = try PostgresDay(postgresText: bytes)
        guard let date = CivilDate(year: day.year, month: day.month, day: day.day) else {
            throw PostgresDecodingFailure("not a calendar day")
        }
        self = date
    }
}

extension CivilDate {
    /// SQL for the China day (UTC+8, no daylight saving) of the `timestamptz` expression `instant`,
    /// as a `date`: how meter events are counted per day (usage, billing). Sessions run in UTC.
    public static func chinaDaySQL(of instant: String) -> String {
        "((\(instant) AT TIME ZONE 'UTC') + interval '8 hours')::date"
    }
}
