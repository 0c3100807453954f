import Hummingbird

extension Problem {
    /// 403: a report asked for by a partner that is neither a bank nor a credit agency.
    static let reportNotPermitted = Problem(
        "report-not-permitted", title: "Report not permitted", status: .forbidden,
        detail: "Credit reports are made for banks and credit agencies only."
    )

    /// 406: an `Accept` header that accepts none of the report's representations.
    static let reportNotAcceptable = Problem(
        "not-acceptable", title: "Not acceptable", status: .notAcceptable,
        detail: "A report is served as text/html, application/pdf or application/json; the Accept header accepts none of them.",
        field: "Accept"
    )

    /// 503: the PDF renderer failed, hung past its time or stayed busy; nothing was billed.
    static let reportRendererUnavailable = Problem(
        "report-renderer-unavailable", title: "Report renderer unavailable", status: .serviceUnavailable,
        detail: "The PDF could not be rendered in time; nothing was billed. Retry later, or ask for text/html.",
        headers: [.retryAfter: "5"]
    )
}
