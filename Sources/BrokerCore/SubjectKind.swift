/// The two kinds of credit subject the broker holds records on.
public enum SubjectKind: String, Sendable, Codable, CaseIterable {
    /// An enterprise, individual business, cooperative or social organisation, keyed by its USCC.
    case organisation
    /// A natural person, keyed by a keyed hash of the resident ID number.
    case person
}
