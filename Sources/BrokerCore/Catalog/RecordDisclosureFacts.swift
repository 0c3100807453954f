/// The facts about one record that its item's `DisclosureRule` looks at.
public struct RecordDisclosureFacts: Sendable, Hashable {
    public var status: RecordStatus
    /// The decision (or listing) date that fixed periods and penalty regimes count from.
    public var decisionDate: CivilDate?
    /// First day of the record's publicity window.
    public var publicityStart: CivilDate?
    /// Last day of the record's publicity window.
    public var publicityEnd: CivilDate?
    /// The record's `severity` field value (`minor`, `general`, `serious`) for penalties.
    public var severity: String?

    public init(
        status: RecordStatus,
        decisionDate: CivilDate? = nil,
        publicityStart: CivilDate? = nil,
        publicityEnd: CivilDate? = nil,
        severity: String? = nil
    ) {
        self.status = status
        self.decisionDate = decisionDate
        self.publicityStart = publicityStart
        self.publicityEnd = publicityEnd
        self.severity = severity
    }

    /// The facts of a record whose item fields are `fields`: its severity is the `severity` field
    /// when that is text.
    public init(
        status: RecordStatus, decisionDate: CivilDate?, publicityStart: CivilDate?, publicityEnd: CivilDate?,
        fields: [String: AnswerValue]
    ) {
        let severity: String? = if case .string(let text)? = fields["severity"] { text } else { nil }
        self.init(
            status: status, decisionDate: decisionDate, publicityStart: publicityStart, publicityEnd: publicityEnd,
            severity: severity
        )
    }
}
