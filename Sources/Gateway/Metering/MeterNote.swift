import BrokerCore
import Metering
import Synchronization

/// What a partner request's route and the middlewares inside `MeteringMiddleware` tell it about the
/// answer, for its one meter event.
///
/// One per request (`GatewayRequestContext.meter`), shared by reference: the route notes what it
/// disclosed and withheld, and for which subject (`DisclosedAnswer` does it for every disclosing
/// answer; a route notes earlier what an error answer should still record); the quota middleware
/// and the routes register what gives back what the answer spent; `IdempotencyMiddleware` says
/// whether the answer is a replay and which response its key keeps. A request whose route notes
/// nothing is metered with its endpoint and status only.
public final class MeterNote: Sendable {
    private let noted = Mutex<Disclosure?>(nil)
    private let undos = Mutex<[@Sendable () async -> Void]>([])
    private let afterDelivery = Mutex<[@Sendable () async -> Void]>([])
    private let idempotency = Mutex<Idempotency>(.none)
    private let unit = Mutex<QuotaReservation?>(nil)

    /// What `IdempotencyMiddleware` found for the request.
    enum Idempotency: Sendable {
        /// No `Idempotency-Key`, or none claimed.
        case none
        /// A retry answered with the first answer's copy: metered when it was first given, not again.
        case replay
        /// A key claimed for this request, and the response kept for its retries, completed in the
        /// meter event's transaction (a server error's key is given up instead, and not claimed here).
        case claimed(IdempotencyKey, kept: StoredResponse)
    }

    public init() {}

    /// The disclosure noted last, if any.
    public var disclosure: Disclosure? { noted.withLock { $0 } }

    /// Notes what the answer discloses (replacing an earlier note: the last one is metered).
    public func note(_ disclosure: Disclosure) {
        noted.withLock { $0 = disclosure }
    }

    /// Forgets the noted disclosure: the answer that noted it will not leave (its quota ran out
    /// while it was being made, `QuotaMiddleware`), and the answer that does is metered without it.
    public func retract() {
        noted.withLock { $0 = nil }
    }

    /// Registers what gives back something spent for the answer (a quota unit, a consent's use), run by
    /// `MeteringMiddleware` if the answer does not leave: a status of 400 or more, or a meter event
    /// that could not be committed.
    public func whenWithheld(_ undo: @escaping @Sendable () async -> Void) {
        undos.withLock { $0.append(undo) }
    }

    /// Registers what follows from an answer that left (a status below 400 whose meter event
    /// committed): a quota alert for the unit it spent. Run by `MeteringMiddleware` before the
    /// answer is returned.
    public func whenDelivered(_ action: @escaping @Sendable () async -> Void) {
        afterDelivery.withLock { $0.append(action) }
    }

    /// The quota unit in flight for the request (`QuotaMiddleware`), which its meter event spends;
    /// `nil` once `undoSpending` has given it back.
    public var unitInFlight: QuotaReservation? {
        get { unit.withLock { $0 } }
        set { unit.withLock { $0 = newValue } }
    }

    /// What `IdempotencyMiddleware` found (`none` until it says otherwise).
    var idempotencyOutcome: Idempotency {
        get { idempotency.withLock { $0 } }
        set { idempotency.withLock { $0 = newValue } }
    }

    /// Runs and forgets the registered actions of a delivered answer (see `whenDelivered`).
    func delivered() async {
        await Self.runAndForget(afterDelivery)
    }

    /// Runs and forgets the registered undos (see `whenWithheld`); the unit in flight, given back by
    /// one of them, is no longer the meter event's to spend.
    func undoSpending() async {
        unitInFlight = nil
        await Self.runAndForget(undos)
    }

    private static func runAndForget(_ actions: borrowing Mutex<[@Sendable () async -> Void]>) async {
        let pending = actions.withLock { actions in
            defer { actions.removeAll() }
            return actions
        }
        for action in pending { await action() }
    }
}
