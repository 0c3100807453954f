/// When a record of an item may be disclosed, and what happens to a disputed one.
public struct DisclosureRule: Sendable, Hashable {
    /// How the disclosure window is computed.
    public enum Kind: Sendable, Hashable {
        /// Disclosed while the record is active.
        case always
        /// By the penalty regime in force on the decision date and the record's `severity`.
        case penaltySeverity
        /// For a fixed period from the decision date.
        case fixedPeriod(DatePeriod)
        /// Between the record's publicity start and end dates, both inclusive.
        case publicityWindow
    }

    /// What a disputed record becomes.
    public enum DisputedHandling: String, Sendable, Hashable, CaseIterable {
        /// Returned, marked as disputed.
        case flag
        /// Not returned.
        case withhold
    }

    public let kind: Kind
    public let disputed: DisputedHandling

    public init(kind: Kind, disputed: DisputedHandling) {
        self.kind = kind
        self.disputed = disputed
    }

    /// Decides whether a record with these facts may be disclosed on `today`.
    ///
    /// Repaired and withdrawn records are never disclosed. A window closes at the start of its end day:
    /// a penalty decided on 2026-05-10 with a one-year maximum is disclosed up to 2027-05-09 and hidden
    /// from 2027-05-10; a publicity end date is the last day shown.
    public func verdict(for record: RecordDisclosureFacts, on today: CivilDate, regimes: [PenaltyRegime]) -> DisclosureVerdict {
        switch record.status {
        case .repaired: return DisclosureVerdict(state: .hidden(.repaired), endsOn: nil)
        case .withdrawn: return DisclosureVerdict(state: .hidden(.withdrawn), endsOn: nil)
        case .active, .disputed: break
        }
        let start: CivilDate?
        let end: CivilDate?
        switch kind {
        case .always:
            (start, end) = (nil, nil)
        case .penaltySeverity:
            guard let decided = record.decisionDate,
                  let severity = record.severity.flatMap(PenaltyRegime.Severity.init(rawValue:)),
                  let periods = regimes.first(where: { $0.covers(decided) })?.periods[severity]
            else { return DisclosureVerdict(state: .hidden(.incompleteRecord), endsOn: nil) }
            (start, end) = (decided, periods.maximum.after(decided))
        case .fixedPeriod(let period):
            guard let decided = record.decisionDate else {
                return DisclosureVerdict(state: .hidden(.incompleteRecord), endsOn: nil)
            }
            (start, end) = (decided, period.after(decided))
        case .publicityWindow:
            (start, end) = (record.publicityStart, record.publicityEnd?.adding(days: 1))
        }
        if let start, today < start { return DisclosureVerdict(state: .hidden(.notYetPublic), endsOn: end) }
        if let end, today >= end { return DisclosureVerdict(state: .hidden(.expired), endsOn: end) }
        guard record.status == .disputed else { return DisclosureVerdict(state: .disclosed, endsOn: end) }
        switch disputed {
        case .flag: return DisclosureVerdict(state: .disclosedDisputed, endsOn: end)
        case .withhold: return DisclosureVerdict(state: .hidden(.disputed), endsOn: end)
        }
    }
}
