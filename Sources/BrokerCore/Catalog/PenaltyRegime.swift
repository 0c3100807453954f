/// A disclosure regime for administrative penalties, applying to decisions made in `[from, until)`.
public struct PenaltyRegime: Sendable, Hashable {
    /// Penalty severity, as recorded in a penalty's `severity` field.
    public enum Severity: String, Sendable, Hashable, CaseIterable {
        case minor, general, serious
    }

    /// How long a penalty of one severity stays disclosed.
    public struct Periods: Sendable, Hashable {
        /// Earliest a subject may apply for credit repair, from the decision date.
        public let minimum: DatePeriod
        /// When the record stops being disclosed, from the decision date.
        public let maximum: DatePeriod
    }

    /// The instrument's name, e.g. `国家发改委令第58号`.
    public let name: String
    /// First decision date covered; `nil` = since ever.
    public let from: CivilDate?
    /// First decision date no longer covered; `nil` = still in force.
    public let until: CivilDate?
    /// Periods for every severity.
    public let periods: [Severity: Periods]

    /// Whether a decision made on `date` falls under this regime.
    public func covers(_ date: CivilDate) -> Bool {
        (from.map { $0 <= date } ?? true) && (until.map { date < $0 } ?? true)
    }
}
