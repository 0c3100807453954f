import BrokerStore
import Hummingbird

extension Problem {
    /// 403: a `/v1/portal` route called by a partner that is not the credit portal.
    static let portalOnly = Problem(
        "portal-only", title: "Portal only", status: .forbidden,
        detail: "The /v1/portal routes act for a subject the province's credit portal has verified; only a partner of kind portal may call them."
    )

    /// 403: the dispute feed called by a partner that is not a data source's account.
    static let dataSourceOnly = Problem(
        "data-source-only", title: "Data source only", status: .forbidden,
        detail: "The dispute feed is served to the accounts of data sources (partners of kind data_source, named source.<catalog source id>)."
    )

    /// A dispute refused: 404 for a record or dispute that is not there, 409 for one that conflicts
    /// with the state of the record or dispute, 422 for a correction outside the source's feed.
    init(_ refusal: DisputeStore.Refusal) {
        switch refusal {
        case .recordNotFound:
            self.init(
                "record-not-found", title: "Record not found", status: .notFound,
                detail: "The subject has no record with this source and source_record_id.", field: "record"
            )
        case .recordClosed:
            self.init(
                "record-not-disputable", title: "Record not disputable", status: .conflict,
                detail: "The record is repaired or withdrawn: it is disclosed to no one, so there is nothing to dispute.", field: "record"
            )
        case .alreadyOpen(let id):
            self.init(
                "dispute-open", title: "Dispute already open", status: .conflict,
                detail: "Dispute \(id) on this record is open; its answer is awaited.", field: "record"
            )
        case .disputeNotFound:
            self.init("unknown-dispute", title: "Unknown dispute", status: .notFound, detail: "No dispute has this id.", field: "id")
        case .alreadyResolved(let outcome):
            self.init(
                "dispute-resolved", title: "Dispute already resolved", status: .conflict,
                detail: "The dispute was answered already (\(outcome.rawValue)).", field: "id"
            )
        case .correctionNeedsFeed:
            self.init(
                "correction-needs-feed", title: "Correction needs the feed", status: .unprocessableContent,
                detail: "A correction is a new version of the record, which the broker takes only from the source's feed: its next line for the record resolves the dispute as corrected. Here, confirm or withdraw.",
                field: "outcome"
            )
        }
    }
}
