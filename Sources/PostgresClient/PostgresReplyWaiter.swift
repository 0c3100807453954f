#if os(Linux)
import CLibPQ
import Foundation
import Glibc
import Synchronization

/// Waits for PostgreSQL's replies on one thread for the whole process, so that a statement costs
/// its caller no hop to a thread of its own.
///
/// The caller sends its statement itself (`PQsendQueryPrepared`, a write that does not wait), then
/// suspends. The connection's socket is armed once in an epoll set (`EPOLLONESHOT`); this thread
/// wakes when the server's bytes arrive, lets libpq read them (`PQconsumeInput`), and once libpq no
/// longer waits for more (`PQisBusy`) hands the result to the suspended caller. Many replies that
/// arrive together cost one wake-up, as in pgbench's own event loop.
///
/// The thread is also a `TaskExecutor` (`PostgresPool.replyExecutor`): a task that prefers it is resumed
/// on the thread that read its reply, between two waits, instead of being handed to another thread
/// that must be woken in turn; tasks enqueued from elsewhere wake it through an eventfd in the same
/// epoll set. It suits work that mostly waits on the database; whatever such a task does between
/// statements delays every other reply, so CPU-heavy work belongs on the global executor.
///
/// A connection is touched by one side at a time: its caller until it is armed, this thread from
/// then until the caller resumes (the lock on the watched set orders the hand-over both ways).
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

    private struct State {
        var watched: [Int32: Watch] = [:]
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

    private func awaitReply(on connection: PostgresConnection, bindings: PostgresBindings) async throws -> PostgresResult {
        try await withCheckedThrowingContinuation { continuation in
            let socket = PQsocket(connection.handle)
            let epoll = state.withLock { state -> Result<Int32, PostgresError> in
                if let failure = Self.started(&state, waiter: self) { return .failure(PostgresError(.connection, failure)) }
                state.watched[socket] = Watch(connection: connection, bindings: bindings, continuation: continuation)
                return .success(state.epoll)
            }
            switch epoll {
            case .failure(let error):
                continuation.resume(throwing: error)
            case .success(let epoll):
                arm(socket, in: epoll)
            }
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

    /// Watches `socket` for one readable event (re-armed for each statement; an idle socket is not
    /// watched); if it cannot, the statement's caller gets the reason.
    private func arm(_ socket: Int32, in epoll: Int32) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLONESHOT.rawValue
        event.data.fd = socket
        if epoll_ctl(epoll, EPOLL_CTL_MOD, socket, &event) == 0 { return }
        // A socket not yet in the set (a new connection; a closed one leaves the set by itself).
        if errno == ENOENT, epoll_ctl(epoll, EPOLL_CTL_ADD, socket, &event) == 0 { return }
        let failure = String(cString: strerror(errno))
        if let watch = state.withLock({ $0.watched.removeValue(forKey: socket) }) {
            watch.continuation.resume(throwing: PostgresError(.connection, "cannot wait for the database's reply: \(failure)"))
        }
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
        guard var watch = state.withLock({ $0.watched.removeValue(forKey: socket) }) else { return }
        if let outcome = watch.connection.readReply(&watch.first, bindings: watch.bindings) {
            watch.continuation.resume(with: outcome)
            return
        }
        state.withLock { $0.watched[socket] = watch }
        arm(socket, in: epoll)
    }
}
#endif
