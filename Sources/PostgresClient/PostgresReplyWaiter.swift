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
/// A connection is touched by one side at a time: its caller until it is armed, this thread from
/// then until the caller resumes (the lock on the watched set orders the hand-over both ways).
final class PostgresReplyWaiter: Sendable {
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
        var startFailure: String?
    }

    private let state = Mutex(State())

    private init() {}

    /// Suspends until the statement just sent on `connection` has its whole reply.
    func reply(on connection: PostgresConnection, bindings: PostgresBindings) async throws -> PostgresResult {
        try await withCheckedThrowingContinuation { continuation in
            let socket = PQsocket(connection.handle)
            let epoll = state.withLock { state -> Result<Int32, PostgresError> in
                if state.epoll < 0, state.startFailure == nil { Self.start(&state, waiter: self) }
                if let failure = state.startFailure { return .failure(PostgresError(.connection, failure)) }
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

    private static func start(_ state: inout State, waiter: PostgresReplyWaiter) {
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else {
            state.startFailure = "cannot create the epoll set that waits for the database's replies: \(String(cString: strerror(errno)))"
            return
        }
        state.epoll = epoll
        let thread = Thread { waiter.run(epoll) }
        thread.name = "postgres-replies"
        thread.start()
    }

    private func run(_ epoll: Int32) {
        let capacity: Int32 = 64
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(capacity))
        defer { events.deallocate() }
        while true {
            let ready = epoll_wait(epoll, events, capacity, -1)
            if ready < 0 { continue }  // EINTR; nothing else can fail on a valid set and buffer
            for index in 0..<Int(ready) {
                service(events[index].data.fd, epoll: epoll)
            }
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
