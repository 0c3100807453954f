import Foundation
import NIOCore
import ServiceLifecycle
import Synchronization

/// A listener that could not start listening: its address in use, not this host's, or a port
/// this account may not bind. Named as an operator reads it, not as the socket call that failed.
public struct ListenerStartError: Error, CustomStringConvertible {
    /// `partner listener`, `admin listener`, `operations listener`.
    public let listener: String
    public let host: String
    public let port: Int
    public let reason: String

    public var description: String { "cannot listen on \(host):\(port) (\(listener)): \(reason)" }
}

/// A listener's application as a service of the broker's group: whatever ends it before it
/// listens (binding its address, above all) is thrown as a `ListenerStartError` naming it.
struct NamedListener: Service {
    private let name: String
    private let host: String
    private let port: Int
    /// Set once the application listens.
    private let listening = Listening()
    private let application: any Service

    /// - Parameter make: builds the application with the `onServerRunning` to give it.
    init(
        _ name: String, host: String, port: Int, onServerRunning: @escaping @Sendable (Int) async -> Void,
        make: (@escaping @Sendable (Int) async -> Void) throws -> any Service
    ) rethrows {
        self.name = name
        self.host = host
        self.port = port
        application = try make { [listening] port in
            listening.flag.withLock { $0 = true }
            await onServerRunning(port)
        }
    }

    func run() async throws {
        do {
            try await application.run()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            guard !listening.flag.withLock({ $0 }) else { throw error }
            throw ListenerStartError(listener: name, host: host, port: port, reason: Self.reason(error))
        }
    }

    private final class Listening: Sendable {
        let flag = Mutex(false)
    }

    /// The system's words for a socket call's error ("address already in use"), else the error's own.
    private static func reason(_ error: any Error) -> String {
        guard let failure = error as? IOError else { return "\(error)" }
        return String(cString: strerror(failure.errnoCode)).lowercased()
    }
}
