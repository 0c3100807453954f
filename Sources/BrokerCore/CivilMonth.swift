import Foundation

/// A calendar month, `YYYY-MM`: a billing period. Its instants are China time's (UTC+8), as
/// `CivilDate`'s are: the month starts at midnight of its first day in Beijing.
public struct CivilMonth: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The month's first day.
    public let firstDay: CivilDate

    /// The month that holds `day`.
    public init(_ day: CivilDate) {
        let (year, month, _) = day.components
        firstDay = CivilDate(year: year, month: month, day: 1)!
    }

    /// The month that holds `instant` in China time.
    public init(containing instant: Date) {
        self.init(CivilDate(instant))
    }

    /// Parses `YYYY-MM` (a real month of the years 1 to 9999: there is no year 0, and PostgreSQL
    /// refuses one); `nil` for any other shape.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 7, bytes[4] == UInt8(ascii: "-"), let day = CivilDate(String(decoding: bytes, as: UTF8.self) + "-01"),
              day.year >= 1
        else { return nil }
        self.init(day)
    }

    public var year: Int { firstDay.year }
    public var month: Int { firstDay.month }
    /// The month's last day.
    public var lastDay: CivilDate { firstDay.firstDayOfNextMonth.adding(days: -1) }
    public var next: CivilMonth { CivilMonth(firstDay.firstDayOfNextMonth) }
    public var previous: CivilMonth { CivilMonth(firstDay.adding(days: -1)) }
    /// The first instant of the month (China time).
    public var start: Date { firstDay.start() }
    /// The first instant after the month (the next month's start).
    public var end: Date { firstDay.firstDayOfNextMonth.start() }

    /// Whether `instant` falls in the month (China time).
    public func contains(_ instant: Date) -> Bool { start <= instant && instant < end }

    public var description: String { String(firstDay.description.prefix(7)) }

    public static func < (lhs: CivilMonth, rhs: CivilMonth) -> Bool { lhs.firstDay < rhs.firstDay }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let month = CivilMonth(try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a month YYYY-MM")
        }
        self = month
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
