import BrokerCore
import Foundation

/// Escaping for the markup the console writes itself (the charts); templates escape with Mustache.
enum ConsoleHTML {
    /// Scalar by scalar: a quote carrying a combining mark is one `Character` with it, and a
    /// Character-wise escaper left it unescaped (an attribute's value would have ended there).
    static func escape(_ text: String) -> String {
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped.append(contentsOf: "&amp;".unicodeScalars)
            case "<": escaped.append(contentsOf: "&lt;".unicodeScalars)
            case ">": escaped.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": escaped.append(contentsOf: "&quot;".unicodeScalars)
            case "'": escaped.append(contentsOf: "&#39;".unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
    }
}

/// Numbers and instants as the console shows them.
enum ConsoleFormat {
    /// Whole numbers without decimals, others with up to two.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.2f", value)
    }

    /// An instant in China time, `2026-11-27 17:23:37`.
    static func chinaTime(_ instant: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: instant)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0,
            parts.second ?? 0
        )
    }

    /// An RFC 3339 text (as the admin API writes it) in China time; the text itself if it does not parse.
    static func chinaTime(_ text: String?) -> String {
        guard let text else { return "" }
        return Instant.parse(text).map { chinaTime($0) } ?? text
    }
}
