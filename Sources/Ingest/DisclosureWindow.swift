import BrokerCore

/// The days a record may be disclosed, from its item's catalog rule: `from <= day < until`,
/// where `nil` leaves that side open. Stored with the record so the read path filters in SQL.
struct DisclosureWindow: Hashable {
    let from: CivilDate?
    let until: CivilDate?

    /// The window of an active record; `nil` when the rule lacks a date or severity it needs.
    init?(item: DataItem, facts: RecordDisclosureFacts, catalog: Catalog) {
        let start: CivilDate?
        switch item.disclosure.kind {
        case .always: start = nil
        case .penaltySeverity, .fixedPeriod: start = facts.decisionDate
        case .publicityWindow: start = facts.publicityStart
        }
        var active = facts
        active.status = .active
        // The end does not depend on the day asked about; any day will do.
        let verdict = catalog.disclosure(of: active, item: item, on: start ?? CivilDate(dayNumber: 0))
        if case .hidden(.incompleteRecord) = verdict.state { return nil }
        self.from = start
        self.until = verdict.endsOn
    }
}
