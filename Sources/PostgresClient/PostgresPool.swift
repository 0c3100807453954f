import Logging
import NIOPosix
import Synchronization

/// A bounded, async pool of PostgreSQL connections.
///
/// - At most `maxConnections` are open; connections open lazily.
/// - A caller that finds none free waits in line; after `acquireTimeout` it gets a
///   `.poolTimeout` error that says how busy the pool was.
/// - A connection that broke is closed and replaced on demand; when one breaks, the idle ones are
///   dropped too (after a server restart they are all dead), so the pool heals by itself.
/// - A statement is sent by its caller and its reply read by the process's one reply thread
///   (`PostgresReplyWaiter`), which resumes the caller; connecting, COPY, scripts and statements
///   whose parameters exceed 64 KB run libpq's blocking calls on the pool's own thread pool.
///   Neither blocks an event loop or a task's thread.
public final class PostgresPool: Sendable {
    public struct Configuration: Sendable {
        public var connection: PostgresConfiguration
        public var maxConnections: Int
        public var acquireTimeout: Duration

        public init(connection: PostgresConfiguration, maxConnections: Int = 8, acquireTimeout: Duration = .seconds(10)) {
            precondition(maxConnections > 0, "a pool needs at least one connection")
            self.connection = connection
            self.maxConnections = maxConnections
            self.acquireTimeout = acquireTimeout
        }
    }

    /// What a waiter is handed: a free connection, or permission to open a new one.
    private enum Grant: Sendable {
        case connection(PostgresConnection)
        case open
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Grant, any Error>
    }

    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var closed = false
        var lastWorked: ContinuousClock.Instant?
    }

    public let configuration: Configuration
    private let threadPool: NIOThreadPool
    private let state = Mutex(State())
    private let logger: Logger

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "credit-broker.postgres")) {
        self.configuration = configuration
        self.logger = logger
        self.threadPool = NIOThreadPool(numberOfThreads: configuration.maxConnections)
        threadPool.start()
    }

    /// Lends a connection to `body` and takes it back afterwards, whatever `body` does.
    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await body(connection)
            release(connection)
            return value
        } catch {
            release(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    @discardableResult
    public func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try await connection.query("BEGIN")
            do {
                let value = try await body(connection)
                try await connection.query("COMMIT")
                return value
            } catch {
                if !connection.isBroken {
                    _ = try? await connection.query("ROLLBACK")
                }
                throw error
            }
        }
    }

    /// Runs one query on a pooled connection.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresResult {
        try await withConnection { try await $0.query(query) }
    }

    /// Executes a prepared statement on a pooled connection.
    @discardableResult
    public func execute(_ statement: PostgresStatement, _ bindings: PostgresBindings = []) async throws -> PostgresResult {
        try await withConnection { try await $0.execute(statement, bindings) }
    }

    /// Closes every idle connection and refuses new work; waiting callers get `.poolClosed`.
    public func close() async {
        let waiters = state.withLock { state -> [Waiter] in
            state.closed = true
            state.open -= state.idle.count
            state.idle.removeAll()
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(.poolClosed, "the database pool is shutting down"))
        }
        try? await threadPool.shutdownGracefully()
    }

    /// The executor of the process's one thread that reads every connection's replies.
    ///
    /// A task that mostly waits on the database (a loader, a batch job, a benchmark's clients) can
    /// run there: `withTaskExecutorPreference(PostgresPool.replyExecutor) { … }` or
    /// `group.addTask(executorPreference: PostgresPool.replyExecutor)`. Each reply then resumes it
    /// on the thread that read the reply, one thread wake-up a statement instead of two (the reply
    /// thread's, then another thread's to run the caller). What such a task does between statements
    /// delays every other connection's reply: CPU-heavy work belongs on the global executor.
    public static var replyExecutor: any TaskExecutor { PostgresReplyWaiter.shared }

    /// Connections open right now (busy and idle).
    public var openConnections: Int {
        state.withLock { $0.open }
    }

    /// When a connection last came back from its work unbroken (the server answered on it), or nil
    /// if none has yet: what a readiness check can go by while every connection is busy.
    public var lastWorked: ContinuousClock.Instant? {
        state.withLock { $0.lastWorked }
    }

    // MARK: Acquire and release

    private func acquire() async throws -> PostgresConnection {
        while true {
            let connection = try await acquireOnce()
            if connection.checkIdleConnection() { return connection }
            // The server closed it while it sat idle: drop it and try again.
            slotFreed()
        }
    }

    private func acquireOnce() async throws -> PostgresConnection {
        let grant: Grant
        let immediate = try state.withLock { state throws -> Grant? in
            if state.closed { throw PostgresError(.poolClosed, "the database pool is shut down") }
            if let connection = state.idle.popLast() { return .connection(connection) }
            if state.open < configuration.maxConnections {
                state.open += 1
                return .open
            }
            return nil
        }
        if let immediate {
            grant = immediate
        } else {
            grant = try await wait()
        }
        switch grant {
        case .connection(let connection):
            return connection
        case .open:
            do {
                return try await PostgresConnection.connect(configuration.connection, on: threadPool)
            } catch {
                slotFreed()
                throw error
            }
        }
    }

    private func wait() async throws -> Grant {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let timeout = configuration.acquireTimeout
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            self?.expire(id, PostgresError(
                .poolTimeout,
                "no database connection became free within \(timeout) (all \(self?.configuration.maxConnections ?? 0) busy)"
            ))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate = state.withLock { state -> Result<Grant, any Error>? in
                    if state.closed { return .failure(PostgresError(.poolClosed, "the database pool is shut down")) }
                    // Asked under the lock that `expire` takes: a cancellation that came before
                    // this point (its handler found no waiter to remove) is seen here, and one
                    // after it finds the waiter. Checked only before the lock, it could fall
                    // between the two and the caller would wait for a connection after all.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if let connection = state.idle.popLast() { return .success(.connection(connection)) }
                    if state.open < configuration.maxConnections {
                        state.open += 1
                        return .success(.open)
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            expire(id, CancellationError())
        }
    }

    private func expire(_ id: UInt64, _ error: any Error) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }

    private func release(_ connection: PostgresConnection) {
        if connection.isBroken {
            let dropped = state.withLock { state -> Int in
                // A broken connection usually means the server went away: the idle ones are dead too.
                let count = state.idle.count
                state.idle.removeAll()
                state.open -= count
                return count
            }
            logger.warning("database connection lost; reconnecting on demand", metadata: ["dropped_idle": "\(dropped)"])
            slotFreed()
            // Lend the slots of dropped idle connections to waiters, if any.
            for _ in 0..<dropped { slotFreed(decrement: false) }
            return
        }
        if !connection.isOutsideTransaction {
            // Handed back inside a transaction (a caller that threw between BEGIN and COMMIT, or
            // whose ROLLBACK failed): the next caller's statements would run in it, invisible to
            // others and lost with it. Closing the connection ends it on the server.
            logger.warning("a database connection came back inside a transaction; closed instead of reused")
            slotFreed()
            return
        }
        let now = ContinuousClock.now
        let waiter = state.withLock { state -> Waiter? in
            state.lastWorked = now
            if state.closed {
                state.open -= 1
                return nil
            }
            if state.waiters.isEmpty {
                state.idle.append(connection)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.continuation.resume(returning: .connection(connection))
    }

    /// A connection slot became free: give it to the first waiter as permission to open one.
    private func slotFreed(decrement: Bool = true) {
        let waiter = state.withLock { state -> Waiter? in
            if decrement { state.open -= 1 }
            guard !state.waiters.isEmpty, !state.closed, state.open < configuration.maxConnections else { return nil }
            state.open += 1
            return state.waiters.removeFirst()
        }
        waiter?.continuation.resume(returning: .open)
    }
}
