import Foundation

/// Instants as the APIs take them: RFC 3339 (`2027-01-01T00:00:00+08:00`, `…Z`, fractions of a
/// second allowed), or a calendar day (`2027-01-01`) meaning its first instant in China time.
/// Every field is checked, never normalised: `T25:00:00Z` or `2027-02-30` is refused, not read as
/// the next day.
public enum Instant {
    /// A calendar day's first instant in China time, else `Date(rfc3339:)`: one RFC 3339 reader for
    /// both APIs (this one had its own, which took a fraction of any length where the partner API's
    /// refused more than nine digits).
    public static func parse(_ text: some StringProtocol) -> Date? {
        if text.utf8.count == 10 { return CivilDate(text)?.start() }
        return Date(rfc3339: text)
    }
}
