import BrokerCore
import BrokerStore
import Foundation
import Synchronization

/// The one owner of the contracts in force in a gateway process.
///
/// Holds the ledger last read from the database and the snapshot compiled from it for the current
/// span of time. `snapshot(at:)` is what a request calls, once: while the snapshot holds at the
/// request's instant it is returned as it is (a lock and two comparisons); at a transition (a
/// version taking effect, a term starting or ending at midnight China time) the next span's snapshot
/// is compiled from the ledger already in memory, so a renewal takes over at that instant with no
/// database round trip and no timer. `update` swaps in a newly read ledger (the `ContractWatcher`,
/// and an admin change in this process at once).
public final class LiveContracts: Sendable {
    private struct State {
        var ledger: ContractLedger
        var current: ContractSnapshot
    }

    public let policies: PolicyBundle
    public let clock: any WallClock
    private let state: Mutex<State>

    public init(ledger: ContractLedger, token: LedgerToken, policies: PolicyBundle, clock: any WallClock = SystemClock()) {
        self.policies = policies
        self.clock = clock
        let snapshot = ContractSnapshot(ledger: ledger, token: token, at: clock.now(), policies: policies)
        state = Mutex(State(ledger: ledger, current: snapshot))
    }

    /// The token of the ledger this process serves.
    public var token: LedgerToken { state.withLock { $0.current.token } }

    /// The snapshot that holds at `instant`.
    public func snapshot(at instant: Date) -> ContractSnapshot {
        state.withLock { state in
            if state.current.holds(at: instant) { return state.current }
            let next = ContractSnapshot(ledger: state.ledger, token: state.current.token, at: instant, policies: policies)
            // A request that read the clock just before a later request moved the span on gets a
            // snapshot of its own instant, and leaves the current one in place.
            // (A clock set back, as tests do, moves it back.)
            if instant >= state.current.validFrom || state.current.validFrom.timeIntervalSince(instant) > 1 { state.current = next }
            return next
        }
    }

    /// The snapshot that holds now.
    public func snapshot() -> ContractSnapshot { snapshot(at: clock.now()) }

    /// Serves `ledger` from now on; a ledger older than the one served is ignored.
    /// - Returns: whether it was taken.
    @discardableResult
    public func update(_ ledger: ContractLedger, token: LedgerToken) -> Bool {
        let now = clock.now()
        let next = ContractSnapshot(ledger: ledger, token: token, at: now, policies: policies)
        return state.withLock { state in
            guard token.covers(state.current.token), token != state.current.token else { return false }
            state = State(ledger: ledger, current: next)
            return true
        }
    }
}
