/// What happened to a record of a watched subject.
public enum WatchedChange: String, Sendable, Hashable, Codable, CaseIterable {
    /// A new record (a penalty, a dishonest listing, …).
    case listed
    case repaired
    case disputed
    case withdrawn
    /// A dispute resolved: the record is active again.
    case reinstated
}
