#if os(Linux)
import CLibPQ
import Foundation
import Glibc
import Synchronization

/// Waits for PostgreSQL's replies on one thread for the whole process, so that a statement costs
/// its caller no hop to a thread of its own.
///
/// The caller sends its statement itself (`PQsendQueryPrepared`, a write that does not wait), then
/// suspends. The connection's socket stays in one epoll set from its first statement to its close
/// (level-triggered, so a statement costs no system call to arm it); this thread wakes when the
/// server's bytes arrive, lets libpq read them (`PQconsumeInput`), and once libpq no longer waits
/// for more (`PQisBusy`) hands the result to the suspended caller. Many replies that arrive
/// together cost one wake-up, as in pgbench's own event loop.
///
/// Bytes that arrive while no statement is in flight were not asked for: the server is closing
/// the connection (a restart, an idle timeout, a terminated backend). The thread marks the
/// connection (`PostgresConnection.IdleWatch`) and takes its socket out of the set, and the pool
/// replaces it at its next lending, without a `poll` per lending as before.
///
/// The thread is also a `TaskExecutor` (`PostgresPool.replyExecutor`): a task that prefers it is resumed
/// on the thread that read its reply, between two waits, instead of being handed to another thread
/// that must be woken in turn; tasks enqueued from elsewhere wake it through an eventfd in the same
/// epoll set. It suits work that mostly waits on the database; whatever such a task does between
/// statements delays every other reply, so CPU-heavy work belongs on the global executor.
///
/// A connection is touched by one side at a time: its caller until it waits, this thread from then
/// until the caller resumes (the lock on the watched set orders the hand-over both ways). A
/// statement's reply may arrive before its caller waits (`Phase.sending`); the thread then leaves
/// it unread and takes the socket out of the set, and the caller puts it back when it waits.
final class PostgresReplyWaiter: TaskExecutor, Sendable {
    /// The one waiter of the process, started on first use.
    static let shared = PostgresReplyWaiter()

    /// What a suspended caller waits for: one statement's result on one connection.
    private struct Watch {
        let connection: PostgresConnection
        let bindings: PostgresBindings
        let continuation: CheckedContinuation<PostgresResult, any Error>
        /// The reply's first result, once read.
        var first: Result<PostgresResult, any Error>?
    }

    /// Where a watched connection is, as far as its socket's events go.
    private enum Phase {
        /// No statement in flight: bytes arriving now were not asked for.
        case idle
        /// Its caller is sending a statement; the reply may arrive before the caller waits.
        case sending
        /// The reply arrived while its caller was still sending; the socket is out of the set
        /// until the caller waits.
        case arrivedEarly
        /// Its caller waits for the reply.
        case waiting(Watch)
        /// This thread is reading the reply.
        case reading
        /// A blocking call on the thread pool (COPY, a script, large parameters) reads the replies.
        case blocking
    }

    /// A connection's socket from its first statement until it closes.
    private struct Entry {
        let idleWatch: PostgresConnection.IdleWatch
        var phase: Phase
        /// Whether the socket is in the epoll set now.
        var registered: Bool
    }

    private struct State {
        var watched: [Int32: Entry] = [:]
        var epoll: Int32 = -1
        /// An eventfd in the epoll set, written to wake the thread for tasks enqueued elsewhere.
        var wake: Int32 = -1
        var startFailure: String?
        /// Tasks to run on this thread, in the order they were enqueued.
        var jobs: [UnownedJob] = []
        /// Whether the thread waits (or is about to) with no timeout: only then must an enqueue wake it.
        var sleeping = false
    }

    private let state = Mutex(State())

    private init() {}

    /// Suspends until the statement just sent on `connection` has its whole reply.
    ///
    /// Inside `PostgresCancellation.stoppingStatements`, if the caller's task is cancelled
    /// meanwhile, the server is asked to stop the statement (`PQcancel`, on the connection's thread
    /// pool): the reply then comes at once, as SQLSTATE 57014, and the connection stays usable.
    /// The reply is handed back only once the request has been delivered: one still on its way
    /// could otherwise stop the next statement on the same connection, another caller's.
    func reply(on connection: PostgresConnection, bindings: PostgresBindings) async throws -> PostgresResult {
        guard PostgresCancellation.stopsStatements else { return try await awaitReply(on: connection, bindings: bindings) }
        let cancel = CancelRequest()
        let outcome: Result<PostgresResult, any Error> = await withTaskCancellationHandler {
            do { return .success(try await awaitReply(on: connection, bindings: bindings)) } catch { return .failure(error) }
        } onCancel: {
            cancel.send(on: connection)
        }
        await cancel.delivered()
        return try outcome.get()
    }

    /// Called by a statement's caller before it sends: from here until it waits, a reply that
    /// arrives is kept for it.
    func willSend(on connection: PostgresConnection) throws {
        let socket = PQsocket(connection.handle)
        guard socket >= 0 else { throw connection.connectionFailure() }
        let epoll = try state.withLock { state throws(PostgresError) -> Int32? in
            if let failure = Self.started(&state, waiter: self) { throw PostgresError(.connection, failure) }
            // An entry of another connection is stale: libpq closed that one's socket when its
            // server went away, which took it out of the set, and the number was reused.
            var entry = state.watched[socket].flatMap { $0.idleWatch === connection.idleWatch ? $0 : nil }
                ?? Entry(idleWatch: connection.idleWatch, phase: .idle, registered: false)
            let unregistered = !entry.registered
            entry.phase = .sending
            entry.registered = true
            state.watched[socket] = entry
            return unregistered ? state.epoll : nil
        }
        if let epoll { try register(socket, in: epoll, connection: connection) }
    }

    private func awaitReply(on connection: PostgresConnection, bindings: PostgresBindings) async throws -> PostgresResult {
        try await withCheckedThrowingContinuation { continuation in
            let socket = PQsocket(connection.handle)
            let watch = Watch(connection: connection, bindings: bindings, continuation: continuation)
            /// nil: not announced; .some(nil): nothing to do; .some(epoll): the socket must go back in the set.
            let announced = state.withLock { state -> Int32?? in
                // Announced by `willSend`; only this statement's own reply removes it.
                guard var entry = state.watched[socket], entry.idleWatch === connection.idleWatch else { return nil }
                let arrivedEarly = if case .arrivedEarly = entry.phase { true } else { false }
                entry.phase = .waiting(watch)
                entry.registered = true
                state.watched[socket] = entry
                return .some(arrivedEarly ? state.epoll : nil)
            }
            guard let announced else {
                continuation.resume(throwing: PostgresError(.connection, "the statement's connection is no longer watched for its reply"))
                return
            }
            guard let epoll = announced else { return }
            do {
                try register(socket, in: epoll, connection: connection)
            } catch {
                let watch = state.withLock { state -> Watch? in
                    guard case .waiting(let watch)? = state.watched[socket]?.phase else { return nil }
                    state.watched[socket]?.phase = .idle
                    return watch
                }
                watch?.continuation.resume(throwing: error)
            }
        }
    }

    /// Called before a blocking call reads `connection`'s replies on the thread pool: its socket's
    /// events are then that call's, not a sign of a closing server.
    func willBlock(on connection: PostgresConnection) {
        setPhase(.blocking, of: connection)
    }

    /// Called when the blocking call is done; the next statement puts the socket back in the set if
    /// the call's replies took it out.
    func didBlock(on connection: PostgresConnection) {
        setPhase(.idle, of: connection)
    }

    private func setPhase(_ phase: Phase, of connection: PostgresConnection) {
        let socket = PQsocket(connection.handle)
        state.withLock { state in
            guard state.watched[socket]?.idleWatch === connection.idleWatch else { return }
            state.watched[socket]?.phase = phase
        }
    }

    /// Called by a closing connection before its socket is closed: its number may be reused at once.
    func forget(_ connection: PostgresConnection) {
        let socket = PQsocket(connection.handle)
        guard socket >= 0 else { return }  // closed by libpq already, and so out of the set
        state.withLock { state in
            guard var entry = state.watched[socket], entry.idleWatch === connection.idleWatch else { return }
            if entry.registered { Self.deregister(socket, &entry, in: state.epoll) }
            state.watched[socket] = nil
        }
    }

    /// A cancel request for one statement: sent at most once, and waited for by the statement's
    /// caller before the connection is handed back.
    private final class CancelRequest: Sendable {
        private enum Progress {
            case none
            /// On its way; the caller, once it waits for it.
            case sending(CheckedContinuation<Void, Never>?)
            case delivered
        }

        private let progress = Mutex(Progress.none)

        func send(on connection: PostgresConnection) {
            let first = progress.withLock { progress -> Bool in
                guard case .none = progress else { return false }
                progress = .sending(nil)
                return true
            }
            guard first else { return }
            connection.threadPool.submit { state in
                // A pool shutting down runs this at once on the cancelling thread: no request then
                // (it would block that thread); the statement runs to its end.
                if case .active = state { connection.blockingRequestCancel() }
                let caller = self.progress.withLock { progress -> CheckedContinuation<Void, Never>? in
                    defer { progress = .delivered }
                    if case .sending(let caller) = progress { return caller }
                    return nil
                }
                caller?.resume()
            }
        }

        /// Returns once a request that was started has been delivered (at once if none was).
        func delivered() async {
            guard progress.withLock({ if case .sending = $0 { true } else { false } }) else { return }
            await withCheckedContinuation { continuation in
                let now = progress.withLock { progress -> Bool in
                    guard case .sending = progress else { return true }
                    progress = .sending(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        }
    }

    // MARK: TaskExecutor

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let wake = state.withLock { state -> Int32? in
            if let failure = Self.started(&state, waiter: self) {
                // Without its thread no task can run here; the process cannot go on correctly.
                fatalError("PostgresReplyWaiter: \(failure)")
            }
            state.jobs.append(job)
            guard state.sleeping else { return nil }
            state.sleeping = false
            return state.wake
        }
        if let wake {
            var one: UInt64 = 1
            _ = write(wake, &one, MemoryLayout<UInt64>.size)
        }
    }

    // MARK: The thread

    /// Puts `socket` in the epoll set (level-triggered: it is reported while it has bytes to read).
    private func register(_ socket: Int32, in epoll: Int32, connection: PostgresConnection) throws {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = socket
        if epoll_ctl(epoll, EPOLL_CTL_ADD, socket, &event) == 0 || errno == EEXIST {
            connection.idleWatch.watched()
            return
        }
        let failure = String(cString: strerror(errno))
        state.withLock { $0.watched[socket]?.registered = false }
        throw PostgresError(.connection, "cannot wait for the database's reply: \(failure)")
    }

    /// Takes `socket` out of the epoll set (under the state's lock, so no caller registers it meanwhile).
    private static func deregister(_ socket: Int32, _ entry: inout Entry, in epoll: Int32) {
        epoll_ctl(epoll, EPOLL_CTL_DEL, socket, nil)
        entry.registered = false
    }

    /// Starts the thread if it is not running yet; the reason it cannot run, if so.
    private static func started(_ state: inout State, waiter: PostgresReplyWaiter) -> String? {
        if state.epoll >= 0 || state.startFailure != nil { return state.startFailure }
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else {
            state.startFailure = "cannot create the epoll set that waits for the database's replies: \(String(cString: strerror(errno)))"
            return state.startFailure
        }
        let wake = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wake
        guard wake >= 0, epoll_ctl(epoll, EPOLL_CTL_ADD, wake, &event) == 0 else {
            state.startFailure = "cannot create the eventfd that wakes the database's reply thread: \(String(cString: strerror(errno)))"
            close(epoll)
            if wake >= 0 { close(wake) }
            return state.startFailure
        }
        state.epoll = epoll
        state.wake = wake
        NamedThread.start("postgres-reply") { waiter.run(epoll, wake: wake) }
        return nil
    }

    private func run(_ epoll: Int32, wake: Int32) {
        let capacity: Int32 = 64
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(capacity))
        defer { events.deallocate() }
        var jobs: [UnownedJob] = []
        while true {
            let timeout: Int32 = state.withLock { state in
                state.sleeping = state.jobs.isEmpty
                return state.sleeping ? -1 : 0
            }
            let ready = epoll_wait(epoll, events, capacity, timeout)
            // Tasks this thread resumes while servicing replies are enqueued without a wake-up.
            if timeout < 0 { state.withLock { $0.sleeping = false } }
            for index in 0..<max(Int(ready), 0) {  // below 0: EINTR, nothing else can fail here
                let socket = events[index].data.fd
                if socket == wake {
                    var count: UInt64 = 0
                    _ = read(wake, &count, MemoryLayout<UInt64>.size)
                } else {
                    service(socket, epoll: epoll)
                }
            }
            state.withLock { swap(&jobs, &$0.jobs) }
            for job in jobs { job.runSynchronously(on: asUnownedTaskExecutor()) }
            jobs.removeAll(keepingCapacity: true)
        }
    }

    /// Reads what arrived on `socket`; resumes its caller once the reply is whole, else waits again.
    private func service(_ socket: Int32, epoll: Int32) {
        let taken = state.withLock { state -> Watch? in
            guard var entry = state.watched[socket], entry.registered else { return nil }
            defer { state.watched[socket] = entry }
            switch entry.phase {
            case .waiting(let watch):
                entry.phase = .reading
                return watch
            case .idle:
                // Not asked for: the server is closing the connection. The pool replaces it.
                entry.idleWatch.spokeOutOfTurn()
                Self.deregister(socket, &entry, in: epoll)
            case .sending:
                entry.phase = .arrivedEarly
                Self.deregister(socket, &entry, in: epoll)
            case .blocking:
                entry.idleWatch.unwatched()
                Self.deregister(socket, &entry, in: epoll)
            case .arrivedEarly, .reading:
                break
            }
            return nil
        }
        guard var watch = taken else { return }
        var outcome = watch.connection.readReply(&watch.first, bindings: watch.bindings)
        // libpq closes the socket when the server closes the connection (which takes it out of
        // the set); its number may be reused by the next connection at once.
        let closed = PQsocket(watch.connection.handle) != socket
        if closed, outcome == nil { outcome = .failure(watch.connection.connectionFailure()) }
        state.withLock { state in
            guard state.watched[socket]?.idleWatch === watch.connection.idleWatch else { return }
            if closed {
                state.watched[socket] = nil
            } else {
                state.watched[socket]?.phase = outcome == nil ? .waiting(watch) : .idle
            }
        }
        if let outcome { watch.continuation.resume(with: outcome) }
    }
}
#endif
