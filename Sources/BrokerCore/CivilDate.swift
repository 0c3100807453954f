import Foundation

/// A calendar day (proleptic Gregorian), without time or zone: decision dates, terms, publicity
/// windows, birth dates in resident ID numbers.
///
/// Stored as the number of days since 1970-01-01 so comparison and day arithmetic are integer
/// operations, free of `Calendar` and fast enough for bulk data generation.
public struct CivilDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Days since 1970-01-01 (negative before).
    public let dayNumber: Int

    public init(dayNumber: Int) {
        self.dayNumber = dayNumber
    }

    /// The day with this year, month and day, or `nil` when no such day exists (e.g. 30 February).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year) else { return nil }
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        self.dayNumber = era * 146_097 + dayOfEra - 719_468
    }

    /// Parses `YYYY-MM-DD`; `nil` for any other shape or an impossible day.
    public init?(_ text: some StringProtocol) {
        var fields = (year: 0, month: 0, day: 0)
        var position = 0
        for byte in text.utf8 {
            if position == 4 || position == 7 {
                guard byte == UInt8(ascii: "-") else { return nil }
            } else {
                guard position < 10, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                let digit = Int(byte - UInt8(ascii: "0"))
                switch position {
                case ..<4: fields.year = fields.year * 10 + digit
                case ..<7: fields.month = fields.month * 10 + digit
                default: fields.day = fields.day * 10 + digit
                }
            }
            position += 1
        }
        guard position == 10 else { return nil }
        self.init(year: fields.year, month: fields.month, day: fields.day)
    }

    /// The day on which `instant` falls at the given offset from UTC (China: +8 h, no daylight saving).
    public init(_ instant: Date, utcOffsetSeconds: Int = CivilDate.chinaUTCOffset) {
        let seconds = Int((instant.timeIntervalSince1970).rounded(.down)) + utcOffsetSeconds
        self.dayNumber = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    }

    /// Today in China Standard Time, where every identifier the broker handles is issued.
    public static func today(now: Date = Date()) -> CivilDate {
        CivilDate(now)
    }

    /// UTC+8, the offset of 中国标准时间 (China Standard Time).
    public static let chinaUTCOffset = 8 * 3_600

    /// Year, month and day.
    public var components: (year: Int, month: Int, day: Int) {
        // Howard Hinnant's civil_from_days.
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The year (`components.year`).
    public var year: Int { components.year }

    /// The month, 1–12 (`components.month`).
    public var month: Int { components.month }

    /// The day of the month, 1–31 (`components.day`).
    public var day: Int { components.day }

    /// The instant this day starts at the given offset from UTC.
    public func start(utcOffsetSeconds: Int = CivilDate.chinaUTCOffset) -> Date {
        Date(timeIntervalSince1970: TimeInterval(dayNumber * 86_400 - utcOffsetSeconds))
    }

    /// This day moved by `days` days.
    public func adding(days: Int) -> CivilDate { CivilDate(dayNumber: dayNumber + days) }

    /// This day moved by `months` months; a day past the end of the target month clamps to its last day.
    public func adding(months: Int) -> CivilDate {
        let (year, month, day) = components
        let index = year * 12 + (month - 1) + months
        let (newYear, newMonth) = (index >= 0 ? index / 12 : (index - 11) / 12, ((index % 12) + 12) % 12 + 1)
        let clamped = min(day, CivilDate.daysIn(month: newMonth, year: newYear))
        return CivilDate(year: newYear, month: newMonth, day: clamped)!
    }

    /// The first day of the month after this day's month.
    public var firstDayOfNextMonth: CivilDate {
        let (year, month, _) = components
        return CivilDate(year: year, month: month, day: 1)!.adding(months: 1)
    }

    public var description: String {
        let (year, month, day) = components
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool { lhs.dayNumber < rhs.dayNumber }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = CivilDate(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a date YYYY-MM-DD")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
