import Foundation
import Synchronization
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// A hostile client's connection: TCP, optionally TLS (with ALPN), that writes whatever bytes it is
/// given and counts what comes back, without speaking HTTP.
final class RawConnection: Sendable {
    let channel: any Channel
    private let counter: InboundCounter

    /// Bytes received so far.
    var received: Int { counter.state.withLock { $0.bytes } }
    /// The bytes received so far (kept up to 64 KB).
    var receivedBytes: [UInt8] { counter.state.withLock { $0.kept } }
    /// Whether the server closed the connection (or it failed).
    var isClosed: Bool { counter.state.withLock { $0.closed } }

    private init(channel: any Channel, counter: InboundCounter) {
        self.channel = channel
        self.counter = counter
    }

    /// Connects from `attackerAddress` to 127.0.0.1:`port`; with `tls`, completes the handshake (ALPN `protocols`).
    static func open(port: Int, tls: TLSConfiguration? = nil) async throws -> RawConnection {
        let counter = InboundCounter()
        let context = try tls.map { try NIOSSLContext(configuration: $0) }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(to: try SocketAddress(ipAddress: attackerAddress, port: 0))
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture(withResultOf: {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                    }
                    try channel.pipeline.syncOperations.addHandler(counter)
                })
            }
            .connect(host: "127.0.0.1", port: port).get()
        let connection = RawConnection(channel: channel, counter: counter)
        if tls != nil { try await connection.waitForHandshake() }
        return connection
    }

    /// A client TLS configuration that trusts anything (the attacker does not care who answers).
    static func tls(alpn: [String] = ["http/1.1"], certificate: String? = nil, key: String? = nil, version: TLSVersion? = nil) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        tls.applicationProtocols = alpn
        if let version {
            tls.minimumTLSVersion = version
            tls.maximumTLSVersion = version
        }
        if let certificate, let key {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        return tls
    }

    private func waitForHandshake() async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if counter.state.withLock({ $0.handshaken }) { return }
            if isClosed { throw ScenarioFailure("the TLS handshake failed") }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw ScenarioFailure("the TLS handshake did not finish within 10 s")
    }

    /// Writes `bytes`; false when the connection is gone.
    @discardableResult
    func write(_ bytes: [UInt8]) async -> Bool {
        do {
            try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
            return true
        } catch {
            return false
        }
    }

    /// Waits (at most `timeout`) until at least `bytes` have arrived or the connection closed.
    func waitForBytes(_ bytes: Int, timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while received < bytes, !isClosed, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    func close() async {
        try? await channel.close().get()
    }
}

/// Counts inbound bytes; notes the end of the TLS handshake and the connection's close.
private final class InboundCounter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    struct State {
        var bytes = 0
        var kept: [UInt8] = []
        var closed = false
        var handshaken = false
    }

    let state = Mutex(State())

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        state.withLock { state in
            state.bytes += buffer.readableBytes
            if state.kept.count < 65_536 { state.kept += buffer.readableBytesView.prefix(65_536 - state.kept.count) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { state.withLock { $0.handshaken = true } }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.withLock { $0.closed = true }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        state.withLock { $0.closed = true }
        context.close(promise: nil)
    }
}

/// Hand-made HTTP/2 frames (RFC 9113) for the rapid-reset and stream-flood attacks.
enum HTTP2Frames {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    static func frame(type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8] = []) -> [UInt8] {
        let length = UInt32(payload.count)
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags,
                UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)] + payload
    }

    static let settings = frame(type: 4, flags: 0, stream: 0)
    static let settingsAck = frame(type: 4, flags: 1, stream: 0)

    /// A request's HEADERS (HPACK: static-table method and scheme, literal path and authority without
    /// indexing); `endStream` false leaves the stream open, waiting for a body that never comes.
    static func headers(stream: UInt32, method: String = "GET", path: String = "/healthz", endStream: Bool = true) -> [UInt8] {
        var block: [UInt8] = [method == "GET" ? 0x82 : 0x83, 0x87]
        block += [0x04, UInt8(path.utf8.count)] + Array(path.utf8)
        block += [0x01, 9] + Array("localhost".utf8)
        return frame(type: 1, flags: endStream ? 0x05 : 0x04, stream: stream, payload: block)
    }

    /// RST_STREAM with CANCEL.
    static func reset(stream: UInt32) -> [UInt8] {
        frame(type: 3, flags: 0, stream: stream, payload: [0, 0, 0, 8])
    }

    /// Whether `bytes` (frames from the server) hold a GOAWAY.
    static func containsGoAway(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index + 9 <= bytes.count {
            let length = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            if bytes[index + 3] == 7 { return true }
            index += 9 + length
        }
        return false
    }
}
