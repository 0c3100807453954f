import BrokerCore

/// One subject of a batch review, by its index in the submitted list.
public struct BatchReviewSubject: Sendable, Hashable {
    /// The index in the submitted list, from 0.
    public let position: Int
    /// The subject's key: the USCC, or the `PersonKey` hex (never a clear ID number).
    public let subjectKey: String
    public let kind: SubjectKind
    /// What the partner sees: the USCC, or the ID number masked with the partner's profile.
    public let label: String

    public init(position: Int, subjectKey: String, kind: SubjectKind, label: String) {
        self.position = position
        self.subjectKey = subjectKey
        self.kind = kind
        self.label = label
    }
}
