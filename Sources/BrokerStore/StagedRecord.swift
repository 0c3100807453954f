import BrokerCore

/// One validated record line, ready to be merged into `records` (and its subject into `subjects`).
public struct StagedRecord: Sendable, Hashable {
    /// The feed line it came from (kept for ordering: a later line wins).
    public var line: Int
    /// `StoredSubject.key`: the USCC, or the person's `PersonKey` hex.
    public var subjectKey: String
    public var subjectKind: SubjectKind
    /// An organisation's name or a person's masked name, when the line carries one.
    public var subjectName: String?
    /// A person's masked ID number.
    public var subjectMaskedID: String?
    public var item: String
    public var sourceRecordID: String
    public var decisionDate: CivilDate?
    public var publicityStart: CivilDate?
    public var publicityEnd: CivilDate?
    /// The disclosure window from the item's catalog rule (`records.disclose_from` / `disclose_until`).
    public var discloseFrom: CivilDate?
    public var discloseUntil: CivilDate?
    /// The fields as a JSON object text, with resident ID numbers already masked.
    public var fieldsJSON: String

    public init(
        line: Int, subjectKey: String, subjectKind: SubjectKind, subjectName: String?, subjectMaskedID: String?,
        item: String, sourceRecordID: String, decisionDate: CivilDate?, publicityStart: CivilDate?,
        publicityEnd: CivilDate?, discloseFrom: CivilDate?, discloseUntil: CivilDate?, fieldsJSON: String
    ) {
        self.line = line
        self.subjectKey = subjectKey
        self.subjectKind = subjectKind
        self.subjectName = subjectName
        self.subjectMaskedID = subjectMaskedID
        self.item = item
        self.sourceRecordID = sourceRecordID
        self.decisionDate = decisionDate
        self.publicityStart = publicityStart
        self.publicityEnd = publicityEnd
        self.discloseFrom = discloseFrom
        self.discloseUntil = discloseUntil
        self.fieldsJSON = fieldsJSON
    }
}
