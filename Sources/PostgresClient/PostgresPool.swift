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

    private typealias Grant = PostgresPoolGrant<PostgresConnection>
    /// The pool's bookkeeping (`PostgresPoolState`); a waiter is the continuation of the caller in line.
    private typealias State = PostgresPoolState<PostgresConnection, CheckedContinuation<Grant, any Error>>

    public let configuration: Configuration
    private let threadPool: NIOThreadPool
    private let state: Mutex<State>
    private let logger: Logger

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "credit-broker.postgres")) {
        self.configuration = configuration
        self.state = Mutex(State(maxConnections: configuration.maxConnections))
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
        let waiters = state.withLock { $0.close() }
        for waiter in waiters {
            waiter.resume(throwing: PostgresError(.poolClosed, "the database pool is shutting down"))
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
        switch state.withLock({ $0.acquire() }) {
        case .closed: throw PostgresError(.poolClosed, "the database pool is shut down")
        case .grant(let immediate): grant = immediate
        case .wait: grant = try await wait()
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

    /// Waits in line for a connection or a slot, at most `acquireTimeout`.
    ///
    /// The line's clock is a child task (structured: it ends with the wait, whichever comes first);
    /// when it runs out it takes the waiter out of the line under the pool's lock, so a grant that
    /// came first is never lost, and one that comes after finds no waiter.
    private func wait() async throws -> Grant {
        let id = state.withLock { $0.nextWaiterID() }
        let timeout = configuration.acquireTimeout
        let timedOut = PostgresError(
            .poolTimeout, "no database connection became free within \(timeout) (all \(configuration.maxConnections) busy)"
        )
        return try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                // Cancelled (the wait ended first): nothing to do.
                if (try? await Task.sleep(for: timeout)) != nil { self.expire(id, timedOut) }
            }
            defer { group.cancelAll() }
            return try await waitInLine(id)
        }
    }

    private func waitInLine(_ id: UInt64) async throws -> Grant {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                // Whether the task was cancelled is asked under the lock that `expire` takes: a
                // cancellation that came before this point (its handler found no waiter to remove)
                // is seen here, and one after it finds the waiter. Checked only before the lock, it
                // could fall between the two and the caller would wait for a connection after all.
                let outcome = state.withLock { $0.enqueue(id, continuation, cancelled: Task.isCancelled) }
                switch outcome {
                case .queued: break
                case .grant(let grant): continuation.resume(returning: grant)
                case .closed: continuation.resume(throwing: PostgresError(.poolClosed, "the database pool is shut down"))
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            expire(id, CancellationError())
        }
    }

    private func expire(_ id: UInt64, _ error: any Error) {
        state.withLock { $0.removeWaiter(id) }?.resume(throwing: error)
    }

    private func release(_ connection: PostgresConnection) {
        let returned: State.Returned =
            connection.isBroken ? .broken : connection.isOutsideTransaction ? .healthy(connection) : .inTransaction
        let handoffs = state.withLock { $0.release(returned, at: .now) }
        switch returned {
        case .broken:
            logger.warning("database connection lost; reconnecting on demand", metadata: ["dropped_idle": "\(handoffs.droppedIdle)"])
        case .inTransaction:
            // Handed back inside a transaction (a caller that threw between BEGIN and COMMIT, or
            // whose ROLLBACK failed): the next caller's statements would run in it, invisible to
            // others and lost with it. Dropped (its last reference), it is closed, which ends it on the server.
            logger.warning("a database connection came back inside a transaction; closed instead of reused")
        case .healthy:
            break
        }
        for (waiter, grant) in handoffs.resume { waiter.resume(returning: grant) }
    }

    /// A connection slot became free: the first waiter gets it as permission to open a connection.
    private func slotFreed() {
        state.withLock { $0.slotFreed() }?.resume(returning: .open)
    }
}
