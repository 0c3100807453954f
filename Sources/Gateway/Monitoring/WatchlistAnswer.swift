import BrokerCore
import BrokerStore

/// The body of a `POST /v1/watchlist` answer.
struct WatchlistAnswer: Encodable {
    /// A watched subject as the partner knows it.
    struct Subject: Encodable {
        /// The partner's pseudonymous reference (what `DELETE /v1/watchlist/{ref}` and alerts use).
        let ref: String
        let kind: SubjectKind
        /// The USCC of an organisation; the masked ID number of a person.
        let subject: String

        init(_ watched: WatchedSubject) {
            ref = watched.reference
            kind = watched.kind
            subject = watched.label
        }
    }

    let subjects: [Subject]
    /// How many subjects the call added (those already watched keep their start).
    let added: Int
}
