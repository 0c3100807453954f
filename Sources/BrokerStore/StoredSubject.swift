import BrokerCore

/// A subject as stored: an organisation under its USCC, a person under its `PersonKey`.
public struct StoredSubject: Sendable, Hashable {
    /// The USCC of an organisation, or the 64 hex digits of a person's `PersonKey`.
    public let key: String
    public let kind: SubjectKind
    /// An organisation's name; a person's masked name.
    public let displayName: String?
    /// A person's masked ID number (the clear number is never stored).
    public let maskedID: String?
}
