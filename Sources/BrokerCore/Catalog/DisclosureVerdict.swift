/// Whether a record may be disclosed today, and until when.
public struct DisclosureVerdict: Sendable, Hashable {
    /// Why a record is not disclosed.
    public enum HiddenReason: String, Sendable, Hashable, CaseIterable {
        case repaired
        case withdrawn
        /// Disputed, and the item withholds disputed records.
        case disputed
        /// Its disclosure period or publicity window has ended.
        case expired
        /// Its decision date or publicity start is still ahead.
        case notYetPublic = "not_yet_public"
        /// It lacks a date or severity its rule needs, so it cannot be shown safely.
        case incompleteRecord = "incomplete_record"
    }

    /// The outcome for the record.
    public enum State: Sendable, Hashable {
        case disclosed
        /// Disclosed, marked as disputed.
        case disclosedDisputed
        case hidden(HiddenReason)
    }

    public let state: State
    /// The first day the record is no longer disclosable; `nil` when no end is set.
    public let endsOn: CivilDate?

    /// Whether the record goes into an answer (possibly flagged).
    public var isDisclosed: Bool {
        if case .hidden = state { false } else { true }
    }
}
