import NIOCore

/// Tells the gate when a connection to the TLS listener sends something other than TLS where its
/// ClientHello belongs (plain HTTP, random bytes), and closes it: no client of a TLS service does that
/// by mistake, and each such connection costs an accept and a read. The verdict is taken from the
/// first two bytes, before the TLS library sees them: a TLS record of the handshake begins 0x16 0x03.
/// A handshake that fails for a TLS reason (a client certificate the broker does not trust, a client
/// that does not trust the broker's, no common version or cipher suite) is never a strike: a bank
/// whose certificate lapsed must keep hearing the alert that says so. Sits right before the TLS
/// handler and removes itself once the first two bytes have passed.
final class NotTLSWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// What the bytes a connection sent first say.
    enum Verdict: Equatable {
        case tls, notTLS
        /// Too few bytes yet.
        case undecided
    }

    /// The verdict on a connection's first bytes (`first`: as many as have arrived, from the start).
    static func verdict(_ first: some Collection<UInt8>) -> Verdict {
        var bytes = first.makeIterator()
        guard let type = bytes.next() else { return .undecided }
        guard type == 0x16 else { return .notTLS }  // a handshake record
        guard let major = bytes.next() else { return .undecided }
        return major == 0x03 ? .tls : .notTLS  // SSL 3.0 and every TLS version
    }

    private let gate: ConnectionGate
    /// The first byte, while only one has arrived.
    private var seen: [UInt8] = []

    init(gate: ConnectionGate) {
        self.gate = gate
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        switch Self.verdict(seen + buffer.readableBytesView.prefix(2 - seen.count)) {
        case .tls:
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        case .undecided:
            seen += buffer.readableBytesView
            context.fireChannelRead(data)
        case .notTLS:
            gate.struck(context.channel.remoteAddress, abuse: "not_tls")
            context.close(promise: nil)
        }
    }
}
