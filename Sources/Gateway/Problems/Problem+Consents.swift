extension Problem {
    /// A consent id the partner has no consent under: unknown, or another partner's (never told apart).
    static let consentNotFound = Problem(
        "consent-not-found", title: "Consent not found", status: .notFound,
        detail: "The partner has no consent with this id."
    )

    /// A query's `consent_id` that names no consent of the partner about the query's subject.
    static let queryConsentNotFound = Problem(
        "consent-not-found", title: "Consent not found", status: .badRequest,
        detail: "No consent with this id is on file for the partner and this subject.", field: "consent_id"
    )
}
