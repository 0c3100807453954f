/// What a caller or a waiter of `PostgresPool` is handed: a free connection, or permission to open one.
enum PostgresPoolGrant<Connection> {
    case connection(Connection)
    case open
}

/// The bookkeeping of `PostgresPool`, without I/O: which connections are idle, how many are open
/// (busy, idle or being opened), who waits in line and in which order, whether the pool is closed.
///
/// `PostgresPool` feeds it events under one lock and carries out what each returns after the lock
/// (resume a waiter with its grant, open a connection, log). The tests feed it events
/// (`PostgresPoolStateTests`), with any value standing for a connection and for a waiter.
struct PostgresPoolState<Connection, Waiter> {
    typealias Grant = PostgresPoolGrant<Connection>

    let maxConnections: Int
    private(set) var idle: [Connection] = []
    /// Connections counted against `maxConnections`: busy, idle, or granted to be opened.
    private(set) var open = 0
    private(set) var waiters: [(id: UInt64, waiter: Waiter)] = []
    private(set) var closed = false
    /// When a connection last came back from its work unbroken.
    private(set) var lastWorked: ContinuousClock.Instant?
    private var lastWaiterID: UInt64 = 0

    init(maxConnections: Int) {
        self.maxConnections = maxConnections
    }

    /// What a caller asking for a connection gets.
    enum Acquire {
        case grant(Grant)
        /// None is free and none may be opened: the caller waits in line (`enqueue`).
        case wait
        case closed
    }

    /// A caller asks for a connection: the most recently idle one, else permission to open one
    /// while fewer than `maxConnections` are open, else it must wait.
    mutating func acquire() -> Acquire {
        if closed { return .closed }
        if let connection = idle.popLast() { return .grant(.connection(connection)) }
        if open < maxConnections {
            open += 1
            return .grant(.open)
        }
        return .wait
    }

    /// The id of the next waiter, made before it joins the line (its timeout is set by that id).
    mutating func nextWaiterID() -> UInt64 {
        lastWaiterID += 1
        return lastWaiterID
    }

    /// What a caller about to wait gets.
    enum Enqueue {
        case grant(Grant)
        case queued
        case closed
        /// Its task was cancelled before it joined the line.
        case cancelled
    }

    /// A caller that had to wait joins the line, unless what it waits for came meanwhile (the pool
    /// closed, its task was cancelled, a connection came back, a slot freed).
    mutating func enqueue(_ id: UInt64, _ waiter: Waiter, cancelled: Bool) -> Enqueue {
        if closed { return .closed }
        if cancelled { return .cancelled }
        switch acquire() {
        case .grant(let grant): return .grant(grant)
        case .closed: return .closed
        case .wait:
            waiters.append((id, waiter))
            return .queued
        }
    }

    /// A waiter leaves the line (its time ran out, or its task was cancelled); nil if it was served already.
    mutating func removeWaiter(_ id: UInt64) -> Waiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index).waiter
    }

    /// How a lent connection comes back.
    enum Returned {
        /// Usable: outside any transaction, the server answered on it.
        case healthy(Connection)
        /// Broken (the server went away): the idle ones are dropped too, as dead as it.
        case broken
        /// Still inside a transaction: closed rather than lent to a caller whose statements would run in it.
        case inTransaction
    }

    /// What to do after a connection came back: the waiters to resume with their grants, in line
    /// order, and how many idle connections were dropped with a broken one.
    struct Handoffs {
        var resume: [(waiter: Waiter, grant: Grant)] = []
        var droppedIdle = 0
    }

    /// A lent connection comes back: a healthy one goes to the first waiter, else joins the idle
    /// ones; the slot of one not kept goes to the first waiter as permission to open a new one.
    mutating func release(_ returned: Returned, at now: ContinuousClock.Instant) -> Handoffs {
        var handoffs = Handoffs()
        switch returned {
        case .healthy(let connection):
            lastWorked = now
            if closed {
                open -= 1
            } else if waiters.isEmpty {
                idle.append(connection)
            } else {
                handoffs.resume.append((waiters.removeFirst().waiter, .connection(connection)))
            }
        case .broken:
            handoffs.droppedIdle = idle.count
            idle.removeAll()
            handoffs.resume = freeSlots(handoffs.droppedIdle + 1)
        case .inTransaction:
            handoffs.resume = freeSlots(1)
        }
        return handoffs
    }

    /// `count` connections are gone: their slots go to the first waiters as permission to open one each.
    private mutating func freeSlots(_ count: Int) -> [(waiter: Waiter, grant: Grant)] {
        open -= count
        var granted: [(waiter: Waiter, grant: Grant)] = []
        while let waiter = grantFreeSlot() { granted.append((waiter, .open)) }
        return granted
    }

    /// A slot became free (a connection that could not be opened, or one that closed while idle):
    /// the first waiter, if any and the pool is open, is returned to be granted `.open`.
    mutating func slotFreed() -> Waiter? {
        open -= 1
        return grantFreeSlot()
    }

    /// The first waiter takes a free slot (fewer than `maxConnections` open) as permission to open a connection.
    private mutating func grantFreeSlot() -> Waiter? {
        guard !waiters.isEmpty, !closed, open < maxConnections else { return nil }
        open += 1
        return waiters.removeFirst().waiter
    }

    /// The pool closes: the idle connections are dropped, the waiters returned to be failed, and
    /// every later `acquire` is `.closed`. Connections still lent come back to nothing.
    mutating func close() -> [Waiter] {
        closed = true
        open -= idle.count
        idle.removeAll()
        defer { waiters.removeAll() }
        return waiters.map(\.waiter)
    }
}

extension PostgresPoolGrant: Sendable where Connection: Sendable {}
extension PostgresPoolState.Acquire: Sendable where Connection: Sendable {}
extension PostgresPoolState.Enqueue: Sendable where Connection: Sendable {}
extension PostgresPoolState.Returned: Sendable where Connection: Sendable {}
extension PostgresPoolState.Handoffs: Sendable where Connection: Sendable, Waiter: Sendable {}
