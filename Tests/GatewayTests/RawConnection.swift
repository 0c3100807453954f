import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A client connection that sends exactly the bytes a test gives it, for what HTTP clients never
/// send: a connection that stays silent, stops halfway through a TLS handshake or a request body, a
/// request head without `Host` or with an oversized header, an HTTP/2 preface and then nothing.
struct RawConnection {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    /// When the test began to connect. The server's timers start when it accepts, which is after
    /// this and may be well before `open` returns on a loaded machine, so a duration measured from
    /// here is never shorter than the one the server measured (a lower bound cannot fail spuriously).
    let connectStarted: ContinuousClock.Instant

    /// A TCP connection to the gateway; with `tls`, a completed TLS handshake over it first (ALPN
    /// as the configuration says).
    /// - Parameter source: the local address to connect from (another loopback address is another client).
    static func open(port: Int, tls: TLSConfiguration? = nil, from source: String? = nil) async throws -> RawConnection {
        let context = try tls.map { try NIOSSLContext(configuration: $0) }
        let connectStarted = ContinuousClock.now
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        let channel = try await bootstrap
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return RawConnection(channel: channel, connectStarted: connectStarted)
    }

    /// The partner listener's TLS as a client sees it: the test CA, `alpn`, and a client identity if given.
    static func tls(_ gateway: TestGateway, alpn: [String], identity: TestGateway.ClientIdentity? = nil) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(gateway.pki.caURL.path)
        tls.applicationProtocols = alpn
        if let identity {
            tls.certificateChain = [.certificate(identity.certificate)]
            tls.privateKey = .privateKey(identity.key)
        }
        return tls
    }

    /// Sends `bytes` and closes the connection without waiting for an answer (a client that gives up).
    func sendThenClose(_ bytes: [UInt8]) async throws {
        try await channel.executeThenClose { _, outbound in
            try await outbound.write(ByteBuffer(bytes: bytes))
        }
    }

    /// What the server sent until it closed the connection, and when it closed it (counted from
    /// `connectStarted`); `nil` when it was still open after `limit` (the connection is then closed by the test).
    ///
    /// - Parameter trickle: bytes sent one at a time, `every` apart, after `bytes` (a slow client).
    func readUntilClosed(
        within limit: Duration, sending bytes: [UInt8] = [], trickle: [UInt8] = [], every interval: Duration = .milliseconds(200)
    ) async throws -> (bytes: [UInt8], after: Duration)? {
        // Whether it was open past `limit`, and when it closed, are read from the channel's close as its
        // event loop saw it, not from which of this test's tasks resumed first: on a loaded machine the
        // cooperative pool (shared with every test running at once) may wake both long after the fact.
        let began = ContinuousClock.now
        let closedAt = Mutex<ContinuousClock.Instant?>(nil)
        channel.channel.closeFuture.whenComplete { _ in closedAt.withLock { $0 = $0 ?? .now } }
        let received: [UInt8] = try await channel.executeThenClose { inbound, outbound in
            var trickle = trickle[...]
            if !bytes.isEmpty {
                do {
                    try await outbound.write(ByteBuffer(bytes: bytes))
                } catch {
                    trickle = []  // closed by the server already (on a loaded machine, a short deadline may pass first)
                }
            }
            let watchdog = Task { [channel = channel.channel] in
                try await Task.sleep(for: limit)
                try? await channel.close()
            }
            for byte in trickle {
                try await Task.sleep(for: interval)
                do {
                    try await outbound.write(ByteBuffer(bytes: [byte]))
                } catch {
                    break  // closed by the server
                }
            }
            var received: [UInt8] = []
            do {
                for try await buffer in inbound { received += buffer.readableBytesView }
            } catch {
                // The server's close without close_notify, or the test's own close.
            }
            watchdog.cancel()
            return received
        }
        let closed = closedAt.withLock { $0 } ?? .now
        return closed - began >= limit ? nil : (received, closed - connectStarted)
    }
}
