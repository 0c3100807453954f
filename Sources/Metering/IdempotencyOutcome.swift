/// What `IdempotencyStore.begin` found for a partner's idempotency key.
public enum IdempotencyOutcome: Sendable, Hashable {
    /// The key is now claimed by this request: run it, then complete (or abandon) the key.
    case new
    /// The same request ran before: send this response again, without running or metering it.
    case replay(StoredResponse)
    /// The key was used for a different request (HTTP 422).
    case conflict
    /// The same key is being processed by another request right now (HTTP 409, retry later).
    case inProgress
}
