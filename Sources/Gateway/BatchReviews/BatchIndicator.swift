/// A fact a batch review counts over its subjects: a subject shows it when at least one disclosed
/// record of one of its items is on file for the subject.
enum BatchIndicator: String, CaseIterable, Sendable {
    /// Listed as a dishonest judgment debtor (失信被执行人).
    case dishonestMark = "dishonest_mark"
    /// An administrative penalty still in its publicity window.
    case penaltyInForce = "penalty_in_force"
    /// On the abnormal-operations list (经营异常名录).
    case abnormalOperations = "abnormal_operations"
    /// Listed as a major tax violator.
    case majorTaxViolation = "major_tax_violation"

    /// The catalog items whose records show the indicator.
    var items: [String] {
        switch self {
        case .dishonestMark: ["enterprise.dishonest_debtor", "person.dishonest_debtor"]
        case .penaltyInForce: ["enterprise.penalty"]
        case .abnormalOperations: ["enterprise.abnormal_operation"]
        case .majorTaxViolation: ["enterprise.major_tax_violation", "person.major_tax_violation"]
        }
    }

    /// The indicators a subject's disclosed items show.
    static func shown(by disclosed: [QueryAnswer.DisclosedItem]) -> [BatchIndicator] {
        let withRecords = Set(disclosed.filter { !$0.records.isEmpty }.map(\.item))
        return allCases.filter { $0.items.contains(where: withRecords.contains) }
    }
}
