import Billing
import Hummingbird

extension Problem {
    /// A billing step refused: 404 for an unknown partner or adjustment, 409 for a step that
    /// conflicts with the months as they stand (not over, closed in order, not closed; events that
    /// cannot be priced), 403 for deciding one's own adjustment.
    init(_ error: BillingError) {
        let (title, status): (String, HTTPResponse.Status) = switch error.code {
        case .monthNotOver: ("Month not over", .conflict)
        case .laterMonthClosed: ("A later month is closed", .conflict)
        case .earlierMonthOpen: ("An earlier month is open", .conflict)
        case .monthNotClosed: ("Month not closed", .conflict)
        case .unpriceable: ("Events cannot be priced", .conflict)
        case .unknownPartner: ("Unknown partner", .notFound)
        case .unknownAdjustment: ("Unknown adjustment", .notFound)
        case .alreadyDecided: ("Already decided", .conflict)
        case .ownAdjustment: ("Own adjustment", .forbidden)
        }
        self.init(error.code.rawValue, title: title, status: status, detail: error.reason, field: error.field)
    }

    /// 404: no statement of this month (not closed, or the partner had none).
    static func statementNotFound() -> Problem {
        Problem(
            "statement-not-found", title: "No such statement", status: .notFound,
            detail: "No statement of this month: the month is not closed yet, or no contract covered it.", field: "month"
        )
    }

    /// 400: `name` is not a month `YYYY-MM`.
    static func invalidMonth(_ name: String) -> Problem {
        .invalidRequest(name, "\(name) must be a month as YYYY-MM.")
    }

    /// 400: an export's period or format.
    init(_ refusal: UsageExport.Refusal) {
        self = .invalidRequest(refusal.field, refusal.reason + ".")
    }
}
