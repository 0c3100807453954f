/// A calendar day as PostgreSQL's `date` type holds it (proleptic Gregorian, astronomical years:
/// year 0 is 1 BC), for a domain's own day type to bind and decode through, without `::text`
/// casts: `YYYY-MM-DD` on the wire, ` BC` after it before 1 AD.
public struct PostgresDay: Sendable, Hashable, PostgresEncodable, PostgresDecodable {
    public let year: Int
    public let month: Int
    public let day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    public var postgresParameter: PostgresParameter {
        .text(PostgresTimestamp.format(year: Int64(year), month: Int64(month), day: Int64(day)))
    }

    public static let acceptedTypes: Set<PostgresDataType> = [.date]

    public init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        guard let parsed = PostgresTimestamp.parseDay(bytes) else {
            throw PostgresDecodingFailure("not an ISO date (is the session's DateStyle ISO?)")
        }
        self.init(year: Int(parsed.year), month: Int(parsed.month), day: Int(parsed.day))
    }
}
