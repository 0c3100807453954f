import CLibPQ
import Foundation
import Logging
import Synchronization

/// A notification received through `LISTEN`.
public struct PostgresNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String

    public init(channel: String, payload: String) {
        self.channel = channel
        self.payload = payload
    }
}

/// Receives `NOTIFY` messages on a connection of its own.
///
/// The connection waits for the socket on a dedicated thread (never an event loop). If it breaks,
/// the listener reconnects and listens again; it then yields a `.reconnected` event, because
/// notifications sent while it was away are lost and the consumer should re-read what it watches.
public final class PostgresListener: Sendable {
    public enum Event: Sendable, Hashable {
        case notification(PostgresNotification)
        case reconnected
    }

    /// Notifications and reconnections, in order. Ends when the listener is stopped.
    public let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private let stopped = StopFlag()

    public init(
        _ configuration: PostgresConfiguration,
        channels: [String],
        logger: Logger = Logger(label: "credit-broker.postgres.listener")
    ) {
        (events, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(10_000))
        NamedThread.start("postgres-listen") { [continuation, stopped] in
            Self.listen(configuration, channels: channels, continuation: continuation, stopped: stopped, logger: logger)
        }
    }

    /// Stops listening and ends `events` (within a quarter second).
    public func stop() {
        stopped.value.store(true, ordering: .relaxed)
    }

    deinit {
        stop()
    }

    private static func listen(
        _ configuration: PostgresConfiguration,
        channels: [String],
        continuation: AsyncStream<Event>.Continuation,
        stopped: StopFlag,
        logger: Logger
    ) {
        defer { continuation.finish() }
        var firstConnection = true
        while !stopped.value.load(ordering: .relaxed) {
            guard let connection = open(configuration, channels: channels, logger: logger) else {
                Thread.sleep(forTimeInterval: 0.5)
                continue
            }
            if !firstConnection { continuation.yield(.reconnected) }
            firstConnection = false
            defer { PQfinish(connection) }
            while !stopped.value.load(ordering: .relaxed) {
                var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
                let ready = poll(&descriptor, 1, 250)
                if ready < 0 && errno != EINTR { break }
                if ready <= 0 { continue }
                guard PQconsumeInput(connection) == 1 else {
                    logger.warning("listener connection lost; reconnecting")
                    break
                }
                while let notify = PQnotifies(connection) {
                    let channel = String(cString: notify.pointee.relname)
                    let payload = String(cString: notify.pointee.extra)
                    PQfreemem(notify)
                    continuation.yield(.notification(PostgresNotification(channel: channel, payload: payload)))
                }
            }
        }
    }

    private static func open(_ configuration: PostgresConfiguration, channels: [String], logger: Logger) -> OpaquePointer? {
        let connection: OpaquePointer
        do {
            connection = try PostgresConnection.openHandle(configuration, role: "-listener")
        } catch {
            logger.debug("listener cannot connect yet", metadata: ["error": "\(error)"])
            return nil
        }
        for channel in channels {
            // LISTEN takes an identifier, not a parameter: quote it as one, doubling its quotes scalar
            // by scalar (a quote carrying a combining mark is one Character with it).
            var quoted = String.UnicodeScalarView("\"".unicodeScalars)
            for scalar in channel.unicodeScalars {
                if scalar == "\"" { quoted.append("\"") }
                quoted.append(scalar)
            }
            quoted.append("\"")
            guard let result = PQexec(connection, "LISTEN " + String(quoted)) else { PQfinish(connection); return nil }
            let ok = PQresultStatus(result) == PGRES_COMMAND_OK
            PQclear(result)
            guard ok else { PQfinish(connection); return nil }
        }
        return connection
    }
}

/// A flag the listener thread polls to know when to stop.
private final class StopFlag: Sendable {
    let value = Atomic<Bool>(false)
}

extension PostgresPool {
    /// Sends a notification (`pg_notify`), delivered when the current transaction commits.
    public func notify(_ channel: String, payload: String = "") async throws {
        try await query("SELECT pg_notify(\(channel), \(payload))")
    }
}
