/// The lifecycle status of a stored record.
public enum RecordStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case active
    /// 信用修复 granted: never disclosed or scored again.
    case repaired
    /// Contested by the subject: flagged or withheld per the item's rule.
    case disputed
    /// Withdrawn by the source: never disclosed again.
    case withdrawn
}
