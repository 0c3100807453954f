import Foundation

extension Date {
    /// Parses an RFC 3339 instant, `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, strictly: every field
    /// must be in its range (month 1–12, a day the month has, hour 0–23, minute and second 0–59,
    /// offset at most ±23:59); `nil` otherwise. Unlike Foundation's ISO 8601 parsing, an impossible
    /// time such as `2027-01-01T25:00:00Z` is refused rather than rolled over into the next day.
    public init?(rfc3339 text: some StringProtocol) {
        let bytes = Array(text.utf8)
        var position = 0

        func digits(_ count: Int) -> Int? {
            guard position + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[position..<position + count] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            position += count
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard position < bytes.count, characters.utf8.contains(bytes[position]) else { return false }
            position += 1
            return true
        }

        guard bytes.count >= 20, let day = CivilDate(String(decoding: bytes[0..<10], as: UTF8.self)) else { return nil }
        position = 10
        guard expect("Tt"), let hour = digits(2), hour < 24, expect(":"), let minute = digits(2), minute < 60,
              expect(":"), let second = digits(2), second < 60
        else { return nil }
        var fraction = 0.0
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            let start = position
            var scale = 0.1
            while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
                fraction += Double(bytes[position] - UInt8(ascii: "0")) * scale
                scale /= 10
                position += 1
            }
            guard position > start, position - start <= 9 else { return nil }
        }
        var offset = 0
        if expect("Zz") {
            offset = 0
        } else {
            guard position < bytes.count else { return nil }
            let sign = bytes[position] == UInt8(ascii: "-") ? -1 : 1
            guard expect("+-"), let hours = digits(2), hours < 24, expect(":"), let minutes = digits(2), minutes < 60 else { return nil }
            offset = sign * (hours * 3_600 + minutes * 60)
        }
        guard position == bytes.count else { return nil }
        let seconds = day.dayNumber * 86_400 + hour * 3_600 + minute * 60 + second - offset
        self.init(timeIntervalSince1970: TimeInterval(seconds) + fraction)
    }
}

extension Date {
    /// The instant in RFC 3339 at China time's offset, to the second (rounded down):
    /// `2027-01-01T00:10:00+08:00`.
    public var chinaRFC3339: String {
        let day = CivilDate(self)
        let seconds = Int(timeIntervalSince1970.rounded(.down)) + CivilDate.chinaUTCOffset - day.dayNumber * 86_400
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(day)T\(two(seconds / 3_600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))+08:00"
    }
}
