import Formats
import Yams

/// The domain's day and period values as the policy files write them.
extension YAMLReader {
    /// A calendar day written `YYYY-MM-DD`.
    mutating func date(_ node: Node?, _ what: String) -> CivilDate? {
        scalar(node, what, expected: "a real date YYYY-MM-DD") { CivilDate($0) }
    }

    /// An ISO 8601 date period such as `P3M` or `P1Y`.
    mutating func period(_ node: Node?, _ what: String) -> DatePeriod? {
        scalar(node, what, expected: "an ISO 8601 period such as P3M or P1Y") { DatePeriod($0) }
    }
}
