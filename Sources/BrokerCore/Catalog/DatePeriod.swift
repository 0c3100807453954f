/// A calendar period in ISO 8601 duration form restricted to dates: `P3M`, `P1Y`, `P2Y6M`, `P0D`, `P2W`.
public struct DatePeriod: Sendable, Hashable, CustomStringConvertible {
    /// Whole months (years × 12 + months).
    public let months: Int
    /// Whole days (weeks × 7 + days).
    public let days: Int

    public init(months: Int = 0, days: Int = 0) {
        self.months = months
        self.days = days
    }

    /// Parses `PnYnMnWnD` (each part optional, at least one present); `nil` otherwise.
    public init?(_ text: String) {
        guard text.first == "P", text.count > 1 else { return nil }
        var months = 0, days = 0, number = ""
        for character in text.dropFirst() {
            if character.isASCII, character.isNumber {
                number.append(character)
                continue
            }
            guard let value = Int(number) else { return nil }
            switch character {
            case "Y": months += value * 12
            case "M": months += value
            case "W": days += value * 7
            case "D": days += value
            default: return nil
            }
            number = ""
        }
        guard number.isEmpty else { return nil }
        self.init(months: months, days: days)
    }

    /// `date` moved forward by this period: months first (clamping to month end), then days.
    public func after(_ date: CivilDate) -> CivilDate {
        date.adding(months: months).adding(days: days)
    }

    public var description: String {
        let (years, rest) = months.quotientAndRemainder(dividingBy: 12)
        var text = "P"
        if years != 0 { text += "\(years)Y" }
        if rest != 0 { text += "\(rest)M" }
        if days != 0 || text == "P" { text += "\(days)D" }
        return text
    }
}
