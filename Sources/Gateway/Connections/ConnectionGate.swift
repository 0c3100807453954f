import Logging
import NIOCore
import NIOHTTP2
import Synchronization

/// The partner listener's door: a connection from an address `AbuseLedger` bans is closed as soon
/// as it is accepted, before any TLS work. Strikes come from `AbuseWatch` (HTTP/2 connections
/// swift-nio-http2 ended for abuse), `NotTLSWatch` (no TLS where a ClientHello belongs),
/// `HTTP1RequestChecks` (oversized or malformed heads) and `AbuseStrikes` (hostile request bodies).
/// One per listener, shared by all its connections.
final class ConnectionGate: Sendable {
    private let ledger: Mutex<AbuseLedger>
    private let policy: AbuseLedger.Policy
    /// Connections from banned addresses held silent now (`turnAway`).
    private let held = Atomic(0)
    private let metrics: GatewayMetrics
    private let logger: Logger

    init(policy: AbuseLedger.Policy, metrics: GatewayMetrics, logger: Logger) {
        ledger = Mutex(AbuseLedger(policy: policy))
        self.policy = policy
        self.metrics = metrics
        self.logger = logger
    }

    /// Turns away a connection `admits` refused: it is held silent (nothing read, nothing sent) for
    /// the policy's `hold`, then closed, so that an attacker's script waits as it would on a firewall
    /// that drops its packets instead of reconnecting at once; past `heldAtMost` connections held, it
    /// is closed at once. Must be called on the channel's event loop; the future completes when the
    /// connection has been closed.
    func turnAway(_ channel: any Channel) -> EventLoopFuture<Void> {
        let refused = channel.eventLoop.makePromise(of: Void.self)
        let count = held.add(1, ordering: .relaxed).newValue
        guard count <= policy.heldAtMost, policy.hold > .zero else {
            held.subtract(1, ordering: .relaxed)
            channel.close(promise: refused)
            return refused.futureResult
        }
        try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        channel.eventLoop.scheduleTask(in: TimeAmount(policy.hold)) { [self] in
            held.subtract(1, ordering: .relaxed)
            channel.close(promise: refused)
        }
        return refused.futureResult
    }

    /// Whether a connection just accepted from `address` may proceed (connections without an IP
    /// address, such as Unix sockets, always may).
    func admits(_ address: SocketAddress?) -> Bool {
        guard let ip = address?.ipAddress else { return true }
        let now = ContinuousClock.now
        let admitted = ledger.withLock { $0.admits(ip, at: now) }
        if !admitted { metrics.connectionRefused(reason: "banned") }
        return admitted
    }

    /// A connection or request from `address` was refused as hostile (`abuse`: its kind, e.g.
    /// `rapid_reset`, `not_tls`, `header_too_large`, `deep_json`).
    func struck(_ address: SocketAddress?, abuse: String) {
        metrics.connectionAbusive(kind: abuse)
        guard let ip = address?.ipAddress else { return }
        let now = ContinuousClock.now
        guard let ban = ledger.withLock({ $0.struck(ip, at: now) }) else { return }
        // A partner's network address, not a subject's data: the operator needs it to act.
        logger.warning("client address refused after repeated abuse", metadata: [
            "address": "\(ip)", "seconds": "\(ban.length.components.seconds)", "ban": "\(ban.count)", "last": "\(abuse)",
        ])
    }
}

/// Sits after `NIOHTTP2Handler` and tells the gate when swift-nio-http2 ends the connection because
/// its peer misbehaves: its DoS heuristics (the errors it reports just after writing GOAWAY
/// ENHANCE_YOUR_CALM), and a client opening more streams at once than the server's SETTINGS allow
/// (GOAWAY PROTOCOL_ERROR: a stream flood; well-behaved clients honour SETTINGS_MAX_CONCURRENT_STREAMS).
final class AbuseWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame

    private let gate: ConnectionGate
    private var reported = false

    init(gate: ConnectionGate) {
        self.gate = gate
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !reported, let abuse = Self.abuse(error) {
            reported = true
            gate.struck(context.channel.remoteAddress, abuse: abuse)
        }
        context.fireErrorCaught(error)
    }

    /// The kind of abuse `error` reports, if it is one of swift-nio-http2's DoS heuristics.
    static func abuse(_ error: any Error) -> String? {
        switch error {
        case is NIOHTTP2Errors.ExcessiveRSTFrames: "rapid_reset"
        case is NIOHTTP2Errors.MaxStreamsViolation: "too_many_streams"
        case is NIOHTTP2Errors.ExcessiveStreamErrors: "stream_errors"
        case is NIOHTTP2Errors.ExcessiveNumberOfGlitches: "glitches"
        case is NIOHTTP2Errors.ExcessiveEmptyDataFrames: "empty_data_frames"
        case is NIOHTTP2Errors.ExcessiveContinuationFrames: "continuation_frames"
        case is NIOHTTP2Errors.ExcessiveControlFrames: "control_frames"
        case is NIOHTTP2Errors.ExcessiveOutboundFrameBuffering: "unread_frames"
        default: nil
        }
    }
}
