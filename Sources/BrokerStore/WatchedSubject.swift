import BrokerCore

/// A subject on a partner's watchlist, as that partner knows it.
public struct WatchedSubject: Sendable, Hashable {
    /// The partner's pseudonymous reference for the subject (`SubjectPseudonymizer`).
    public let reference: String
    /// The subject's key (`StoredSubject.key`); never shown to the partner.
    public let subjectKey: String
    public let kind: SubjectKind
    /// The USCC of an organisation; the masked ID number of a person.
    public let label: String

    public init(reference: String, subjectKey: String, kind: SubjectKind, label: String) {
        self.reference = reference
        self.subjectKey = subjectKey
        self.kind = kind
        self.label = label
    }
}
