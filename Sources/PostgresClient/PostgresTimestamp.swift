import Foundation

/// Conversion between `Date` and PostgreSQL's ISO text for `timestamptz`, `timestamp` and `date`.
///
/// Sessions are set to `TimeZone=UTC` and `DateStyle=ISO`, so the server writes
/// `2024-05-06 12:34:56.123456+00`. Parsing also accepts other offsets (`+05:30`), a missing
/// time (dates) and a missing offset (`timestamp`, read as UTC).
///
/// PostgreSQL has no year 0: the year before 1 AD is `0001 … BC`, which is year 0 of the proleptic
/// Gregorian count used here (astronomical numbering), so a year ≤ 0 crosses as `1 - year` with
/// ` BC` after the offset, and a year past 9999 with all its digits, as the server writes them.
enum PostgresTimestamp {
    static func format(_ date: Date) -> String {
        let totalMicros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        var micros = Int64(totalMicros)
        var seconds = micros / 1_000_000
        micros %= 1_000_000
        if micros < 0 { micros += 1_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        let (year, month, day) = civil(fromDays: days)
        return pad(year > 0 ? year : 1 - year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + " "
            + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
            + "." + pad(micros, 6) + "+00" + (year > 0 ? "" : " BC")
    }

    /// A calendar day as `date` text: `YYYY-MM-DD`, or `YYYY-MM-DD BC` for a year ≤ 0.
    static func format(year: Int64, month: Int64, day: Int64) -> String {
        pad(year > 0 ? year : 1 - year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + (year > 0 ? "" : " BC")
    }

    /// The calendar day of `date` text (`YYYY-MM-DD`, ` BC` after it before 1 AD), proleptic Gregorian with year 0.
    static func parseDay(_ bytes: UnsafeRawBufferPointer) -> (year: Int64, month: Int64, day: Int64)? {
        var reader = Reader(bytes: bytes)
        let bc = reader.dropSuffix(" BC")
        guard let year = reader.year(), reader.skip("-"), let month = reader.number(digits: 2), reader.skip("-"),
              let day = reader.number(digits: 2), reader.atEnd, (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        return (bc ? 1 - year : year, month, day)
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) -> Date? {
        var reader = Reader(bytes: bytes)
        guard var year = reader.year(), reader.skip("-"),
              let month = reader.number(digits: 2), reader.skip("-"),
              let day = reader.number(digits: 2),
              (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        // " BC" ends the text, after the time and offset if there are any.
        if reader.dropSuffix(" BC") { year = 1 - year }
        var seconds = Double(days(fromCivil: year, month, day) * 86_400)
        if reader.skip(" ") || reader.skip("T") {
            guard let hour = reader.number(digits: 2), reader.skip(":"),
                  let minute = reader.number(digits: 2), reader.skip(":"),
                  let second = reader.number(digits: 2)
            else { return nil }
            seconds += Double(hour * 3600 + minute * 60 + second)
            if reader.skip(".") {
                var scale = 0.1
                while let digit = reader.digit() {
                    seconds += Double(digit) * scale
                    scale /= 10
                }
            }
            if let sign = reader.sign() {
                guard let offsetHours = reader.number(digits: 2) else { return nil }
                var offset = offsetHours * 3600
                if reader.skip(":"), let offsetMinutes = reader.number(digits: 2) {
                    offset += offsetMinutes * 60
                }
                seconds -= Double(sign * offset)
            }
        }
        guard reader.atEnd else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0
        /// Where reading stops (before a ` BC` already read).
        var end: Int

        init(bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
            end = bytes.count
        }

        var atEnd: Bool { index == end }

        mutating func digit() -> Int64? {
            guard index < end, (48...57).contains(bytes[index]) else { return nil }
            defer { index += 1 }
            return Int64(bytes[index] - 48)
        }

        mutating func number(digits: Int) -> Int64? {
            var value: Int64 = 0
            for _ in 0..<digits {
                guard let digit = digit() else { return nil }
                value = value * 10 + digit
            }
            return value
        }

        /// Whether the text ends with `suffix`, which is then left unread.
        mutating func dropSuffix(_ suffix: String) -> Bool {
            let tail = Array(suffix.utf8)
            guard end - index >= tail.count, zip(bytes[(end - tail.count)..<end], tail).allSatisfy({ $0 == $1 }) else { return false }
            end -= tail.count
            return true
        }

        /// Four digits or more (the server writes a year past 9999 with all its digits).
        mutating func year() -> Int64? {
            guard var value = number(digits: 4) else { return nil }
            while value < 1_000_000, let digit = digit() { value = value * 10 + digit }
            return value
        }

        mutating func skip(_ character: Character) -> Bool {
            guard index < end, bytes[index] == character.asciiValue else { return false }
            index += 1
            return true
        }

        mutating func sign() -> Int64? {
            if skip("+") { return 1 }
            if skip("-") { return -1 }
            return nil
        }
    }
}
