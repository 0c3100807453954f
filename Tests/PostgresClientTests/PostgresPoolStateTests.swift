@testable import PostgresClient
import Testing

/// `PostgresPoolState`, the pool's bookkeeping, fed events with no database: connections are
/// strings ("c1"), waiters are strings ("w1"), and every decision is read from what each event returns.
@Suite struct PostgresPoolStateTests {
    typealias State = PostgresPoolState<String, String>

    /// The connection a grant hands over, or "open" for permission to open one.
    static func name(_ grant: PostgresPoolGrant<String>) -> String {
        switch grant {
        case .connection(let connection): connection
        case .open: "open"
        }
    }

    static func granted(_ acquire: State.Acquire) -> String? {
        if case .grant(let grant) = acquire { return name(grant) }
        return nil
    }

    static func names(_ handoffs: State.Handoffs) -> [String] {
        handoffs.resume.map { "\($0.waiter)←\(name($0.grant))" }
    }

    /// Fills a pool of `size` with connections "c1"… lent out, as a pool does under load.
    static func busy(_ size: Int) -> State {
        var state = State(maxConnections: size)
        for _ in 0..<size { #expect(granted(state.acquire()) == "open") }
        return state
    }

    @Test func anIdleConnectionIsLentBeforeANewOneIsOpenedAndNoMoreThanTheMostAreOpen() {
        var state = State(maxConnections: 2)
        #expect(Self.granted(state.acquire()) == "open")
        #expect(Self.granted(state.acquire()) == "open")
        guard case .wait = state.acquire() else { Issue.record("a third caller must wait"); return }
        #expect(state.open == 2)
        #expect(Self.names(state.release(.healthy("c1"), at: .now)).isEmpty, "nobody waits: it goes idle")
        #expect(state.idle == ["c1"])
        #expect(Self.granted(state.acquire()) == "c1", "the idle one, not a new one")
        #expect(state.open == 2)
    }

    @Test func waitersAreServedInTheOrderTheyCameByConnectionsComingBack() {
        var state = Self.busy(2)
        for waiter in ["w1", "w2", "w3"] {
            let id = state.nextWaiterID()
            guard case .queued = state.enqueue(id, waiter, cancelled: false) else { Issue.record("\(waiter) must queue"); return }
        }
        #expect(Self.names(state.release(.healthy("c1"), at: .now)) == ["w1←c1"])
        #expect(Self.names(state.release(.healthy("c2"), at: .now)) == ["w2←c2"])
        #expect(Self.names(state.release(.healthy("c1"), at: .now)) == ["w3←c1"])
        #expect(state.waiters.isEmpty)
        #expect(state.open == 2 && state.idle.isEmpty)
    }

    @Test func aCallerAboutToWaitTakesWhatCameMeanwhileAndACancelledOneDoesNotQueue() {
        var state = Self.busy(1)
        guard case .wait = state.acquire() else { Issue.record("must wait"); return }
        _ = state.release(.healthy("c1"), at: .now)
        let id = state.nextWaiterID()
        guard case .grant(.connection("c1")) = state.enqueue(id, "w1", cancelled: false) else {
            Issue.record("the connection that came back between acquire and enqueue is taken, not waited for"); return
        }
        guard case .cancelled = state.enqueue(state.nextWaiterID(), "w2", cancelled: true) else {
            Issue.record("a cancelled caller does not queue"); return
        }
        #expect(state.waiters.isEmpty)
    }

    @Test func aWaiterWhoseTimeRanOutLeavesTheLineOnceAndIsNotServed() {
        var state = Self.busy(1)
        let first = state.nextWaiterID(), second = state.nextWaiterID()
        #expect(first != second)
        _ = state.enqueue(first, "w1", cancelled: false)
        _ = state.enqueue(second, "w2", cancelled: false)
        #expect(state.removeWaiter(first) == "w1")
        #expect(state.removeWaiter(first) == nil, "already gone: the timeout and the cancellation cannot both resume it")
        #expect(Self.names(state.release(.healthy("c1"), at: .now)) == ["w2←c1"])
        #expect(state.removeWaiter(second) == nil, "served: nothing to expire")
    }

    @Test func aBrokenConnectionDropsTheIdleOnesAsDeadAsIt() {
        var state = Self.busy(3)
        _ = state.release(.healthy("c1"), at: .now)
        #expect(state.idle == ["c1"])
        let handoffs = state.release(.broken, at: .now)
        #expect(handoffs.droppedIdle == 1, "c1 sat idle: after a restart it is as dead as the broken one")
        #expect(handoffs.resume.isEmpty, "nobody waits")
        #expect(state.idle.isEmpty)
        #expect(state.open == 1, "only c3, still lent")
        #expect(Self.granted(state.acquire()) == "open", "the next caller opens a fresh one")
    }

    @Test func aBrokenConnectionsSlotGoesToTheFirstWaiterToOpenAReplacement() {
        var state = Self.busy(2)
        for waiter in ["w1", "w2"] { _ = state.enqueue(state.nextWaiterID(), waiter, cancelled: false) }
        #expect(Self.names(state.release(.broken, at: .now)) == ["w1←open"])
        #expect(state.open == 2, "one lent, one being opened")
        #expect(state.waiters.map(\.waiter) == ["w2"])
    }

    @Test func aConnectionBackInsideATransactionIsNotReusedItsSlotGoesToAWaiter() {
        var state = Self.busy(1)
        _ = state.enqueue(state.nextWaiterID(), "w1", cancelled: false)
        #expect(Self.names(state.release(.inTransaction, at: .now)) == ["w1←open"])
        #expect(state.idle.isEmpty && state.open == 1)
        #expect(Self.names(state.release(.inTransaction, at: .now)).isEmpty)
        #expect(state.open == 0)
    }

    @Test func aConnectionThatCouldNotBeOpenedFreesItsSlotForTheNextWaiter() {
        var state = Self.busy(1)
        _ = state.enqueue(state.nextWaiterID(), "w1", cancelled: false)
        #expect(state.slotFreed() == "w1", "granted .open in its turn")
        #expect(state.open == 1)
        #expect(state.slotFreed() == nil)
        #expect(state.open == 0)
    }

    @Test func closingFailsTheWaitersDropsTheIdleAndLetsLentConnectionsComeBackToNothing() {
        var state = Self.busy(2)
        _ = state.release(.healthy("c1"), at: .now)
        _ = state.enqueue(state.nextWaiterID(), "w1", cancelled: false)
        #expect(state.waiters.isEmpty, "c1 was idle: w1 took it rather than queue")
        _ = state.release(.healthy("c1"), at: .now)
        #expect(state.idle == ["c1"])
        #expect(Self.granted(state.acquire()) == "c1")
        _ = state.enqueue(state.nextWaiterID(), "w2", cancelled: false)
        #expect(state.close() == ["w2"])
        guard case .closed = state.acquire() else { Issue.record("closed"); return }
        guard case .closed = state.enqueue(state.nextWaiterID(), "w3", cancelled: false) else { Issue.record("closed"); return }
        #expect(Self.names(state.release(.healthy("c2"), at: .now)).isEmpty)
        #expect(Self.names(state.release(.healthy("c1"), at: .now)).isEmpty)
        #expect(state.open == 0 && state.idle.isEmpty, "lent connections came back to nothing")
        #expect(state.slotFreed() == nil)
    }

    @Test func lastWorkedIsWhenAHealthyConnectionLastCameBack() {
        var state = Self.busy(2)
        #expect(state.lastWorked == nil)
        let earlier = ContinuousClock.now
        _ = state.release(.healthy("c1"), at: earlier)
        #expect(state.lastWorked == earlier)
        _ = state.release(.broken, at: earlier + .seconds(5))
        #expect(state.lastWorked == earlier, "a broken connection is not the server answering")
    }
}
