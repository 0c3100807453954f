import BrokerCore
import Metering
import Synchronization

/// What a partner route tells the metering middleware about its answer.
///
/// One per request, shared by reference between `MeteringMiddleware` (which creates it and writes
/// the meter event once the handler returns) and the handler (which notes what it disclosed and
/// withheld, and for which subject). A route that notes nothing is metered with its endpoint and
/// status only.
public final class MeterNote: Sendable {
    /// The facts a meter event carries beyond endpoint, status, latency and size.
    public struct Facts: Sendable, Hashable {
        public var purpose: String?
        public var disclosed: [String] = []
        public var withheld: [MeterEvent.Withheld] = []
        public var consentID: String?
        public var contractVersion: ContractVersion?
        /// The subject key (USCC or person-key hex); the event stores only its keyed hash.
        public var subjectKey: String?
    }

    private let state = Mutex(Facts())
    private let undos = Mutex<[@Sendable () async -> Void]>([])
    private let afterDelivery = Mutex<[@Sendable () async -> Void]>([])

    public init() {}

    /// The facts noted so far.
    public var facts: Facts { state.withLock { $0 } }

    /// Notes a decided answer about one subject.
    public func decided(
        subjectKey: String?, purpose: String?, disclosed: [String], withheld: [MeterEvent.Withheld],
        consentID: String?, contractVersion: ContractVersion
    ) {
        state.withLock { facts in
            facts = Facts(
                purpose: purpose, disclosed: disclosed, withheld: withheld, consentID: consentID,
                contractVersion: contractVersion, subjectKey: subjectKey
            )
        }
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

    /// Runs and forgets the registered actions of a delivered answer (see `whenDelivered`).
    func delivered() async {
        await Self.runAndForget(afterDelivery)
    }

    /// Runs and forgets the registered undos (see `whenWithheld`).
    func undoSpending() async {
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
