/// What would turn a withheld item into a disclosed one: machine-readable, with an English `text`.
public enum Unlock: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A (new) consent of the subject covering `item` for `purpose`.
    case consent(item: String, purpose: String)
    /// A change of the partner's contract.
    case contractChange
    /// The contract term that starts on this day.
    case contractTerm(startsOn: CivilDate)
    /// The next quota period, starting on this day (China time).
    case nextQuotaPeriod(startsOn: CivilDate)
    /// Reinstatement of the partner by a platform administrator.
    case reinstatement

    /// English text for people.
    public var text: String {
        switch self {
        case let .consent(item, purpose): "a consent covering \(item) for purpose \(purpose)"
        case .contractChange: "a contract change"
        case .contractTerm(let day): "the contract term starting \(day)"
        case .nextQuotaPeriod(let day): "the next quota period starting \(day)"
        case .reinstatement: "reinstatement of the partner by a platform administrator"
        }
    }

    public var description: String { text }
}
