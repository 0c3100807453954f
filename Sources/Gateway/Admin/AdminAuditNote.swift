import Synchronization

/// What an admin route tells the audit middleware beyond method, path and status: the partner it
/// acted on, a short account of what it did (`issued ak_…`), and what to do once its change has
/// committed. Shared by reference, one per request.
public final class AdminAuditNote: Sendable {
    private let state = Mutex<(partner: String?, detail: String?)>((nil, nil))
    private let committed = Mutex<(@Sendable () async -> [(String, String)])?>(nil)

    public init() {}

    /// The partner the request concerned, as noted.
    public var partner: String? { state.withLock { $0.partner } }
    /// The account noted, if any.
    public var detail: String? { state.withLock { $0.detail } }

    /// Notes the partner acted on and what was done; never a token or a personal identifier.
    public func note(partner: String?, _ detail: String) {
        state.withLock { $0 = (partner, detail) }
    }

    /// Runs `hook` after the request's transaction (its change and audit row) has committed, before
    /// the answer leaves; the headers it returns are added to the answer.
    func afterCommit(_ hook: @escaping @Sendable () async -> [(String, String)]) {
        committed.withLock { $0 = hook }
    }

    /// The hook registered, if any.
    var committedHook: (@Sendable () async -> [(String, String)])? { committed.withLock { $0 } }
}
