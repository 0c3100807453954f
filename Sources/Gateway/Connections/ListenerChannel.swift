import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOSSL

/// How long the partner listener waits for each stage of a connection and a request.
public struct ConnectionTimeouts: Sendable, Hashable {
    /// From accepting a connection to the end of its TLS handshake.
    public var handshake: Duration
    /// A connection with no request in flight for this long is closed (HTTP/1.1 directly; HTTP/2
    /// with GOAWAY, then closed after `close` at the latest).
    public var idle: Duration
    /// An HTTP/2 client must acknowledge the server's SETTINGS within this long (RFC 9113 §6.5.3),
    /// which also bounds a connection that negotiated HTTP/2 and never sent its preface.
    public var http2Settings: Duration
    /// A request must arrive whole (head and body) within this long of its head; else 408.
    public var request: Duration
    /// A connection sent GOAWAY (idle, or the server shutting down) is closed this long afterwards
    /// whether or not the client answered.
    public var close: Duration
}

/// The partner listener's connections: Hummingbird's HTTP/1.1 channel, or its TLS channel that
/// negotiates HTTP/2 or HTTP/1.1 by ALPN, with deadlines and checks Hummingbird lacks added to
/// each pipeline once its protocol is known:
///
/// - a connection from an address banned for abuse is closed at accept, before TLS; what counts
///   against an address (`ConnectionGate`): an HTTP/2 connection that swift-nio-http2 ends for
///   abuse (`AbuseWatch`), bytes that are not TLS where a ClientHello belongs (`NotTLSWatch`), an
///   oversized or malformed HTTP/1.1 head (`HTTP1RequestChecks`), a request body nested past the
///   JSON parser's limit (`AbuseStrikes`);
/// - the TLS handshake must finish within `handshake` (a client that never sends a ClientHello or
///   stops halfway is closed: `HandshakeDeadline`);
/// - HTTP/2: SETTINGS acknowledged within `http2Settings`, and a connection sent GOAWAY closed after
///   `close` (`HTTP2ConnectionDeadlines`);
/// - HTTP/1.1: an oversized header answered 431, a missing or repeated `Host` 400, as
///   problem+json (`HTTP1RequestChecks`);
/// - every request (HTTP/1.1, and each HTTP/2 stream) whole within `request` (`RequestDeadline`,
///   installed through Hummingbird's `additionalChannelHandlers`).
struct ListenerChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value

    let inner: Inner
    let timeouts: ConnectionTimeouts
    let isTLS: Bool
    /// Refuses connections from addresses banned for abuse, and hears of HTTP/2 abuse (`nil`: none).
    var gate: ConnectionGate? = nil

    /// The partner listener's server: HTTP/2 and HTTP/1.1 over `tls`, or plain HTTP/1.1 without it.
    static func server(
        tls: HummingbirdHTTP2.TLSChannelConfiguration?, timeouts: ConnectionTimeouts, gate: ConnectionGate? = nil
    ) -> HTTPServerBuilder {
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestDeadline(timeout: TimeAmount(timeouts.request))],
            idleTimeout: TimeAmount(timeouts.idle)
        )
        return HTTPServerBuilder { responder in
            guard let tls else {
                return ListenerChannel<HTTP1Channel>(
                    inner: HTTP1Channel(responder: responder, configuration: http1), timeouts: timeouts, isTLS: false, gate: gate
                )
            }
            let http2 = HTTP2ChannelConfiguration(idleTimeout: timeouts.idle, gracefulCloseTimeout: timeouts.close, streamConfiguration: http1)
            return ListenerChannel<HTTP2UpgradeChannel>(
                inner: try HTTP2UpgradeChannel(tlsChannelConfiguration: tls, configuration: http2, responder: responder),
                timeouts: timeouts, isTLS: true, gate: gate
            )
        }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        // A banned address is turned away before any TLS work (held silent a while, then closed:
        // NIO does not close a child channel whose initializer failed, so `turnAway` does).
        if let gate, !gate.admits(channel.remoteAddress) {
            return gate.turnAway(channel).flatMapThrowing { throw ConnectionRefused() }
        }
        return inner.setup(channel: channel, logger: logger).flatMapThrowing { [gate] value in
            let pipeline = channel.pipeline.syncOperations
            if isTLS {
                let deadline = HandshakeDeadline(timeout: TimeAmount(timeouts.handshake)) { pipeline, negotiated in
                    try Self.protocolNegotiated(negotiated, pipeline: pipeline, timeouts: timeouts, gate: gate)
                }
                let tls = try pipeline.handler(type: NIOSSLServerHandler.self)
                try pipeline.addHandler(deadline, position: .after(tls))
                if let gate { try pipeline.addHandler(NotTLSWatch(gate: gate), position: .before(tls)) }
            } else {
                try Self.protocolNegotiated(nil, pipeline: pipeline, timeouts: timeouts, gate: gate)
            }
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }

    /// Adds the checks of the negotiated protocol, once Hummingbird has configured its pipeline.
    private static func protocolNegotiated(
        _ negotiated: String?, pipeline: ChannelPipeline.SynchronousOperations, timeouts: ConnectionTimeouts, gate: ConnectionGate?
    ) throws {
        if negotiated == "h2" {
            let http2 = try pipeline.handler(type: NIOHTTP2Handler.self)
            let deadlines = HTTP2ConnectionDeadlines(settings: TimeAmount(timeouts.http2Settings), close: TimeAmount(timeouts.close))
            try pipeline.addHandler(deadlines, position: .after(http2))
            if let gate { try pipeline.addHandler(AbuseWatch(gate: gate), position: .after(deadlines)) }
        } else {
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(HTTP1RequestChecks(gate: gate), position: .after(decoder))
        }
    }
}

/// A connection turned away at accept by `ConnectionGate`.
struct ConnectionRefused: Error {}
