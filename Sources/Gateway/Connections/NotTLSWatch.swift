import NIOCore
import NIOSSL
import NIOTLS

/// Tells the gate when a connection to the TLS listener sends something other than TLS where its
/// ClientHello belongs (plain HTTP, random bytes): no client of a TLS service does that twice by
/// mistake, and each such connection costs an accept and a read. A handshake that fails for a TLS
/// reason (an unknown or expired client certificate, no common protocol version or cipher suite)
/// is no strike: a bank whose certificate lapsed must keep hearing the alert that says so. Sits right
/// after the TLS handler and removes itself once the handshake is done.
final class NotTLSWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let gate: ConnectionGate
    private var reported = false

    init(gate: ConnectionGate) {
        self.gate = gate
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !reported, case .handshakeFailed(.sslError(let stack))? = error as? NIOSSLError, Self.isNotTLS(stack.map(\.description)) {
            reported = true
            gate.struck(context.channel.remoteAddress, abuse: "not_tls")
        }
        context.fireErrorCaught(error)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
        if case .handshakeCompleted? = event as? TLSUserEvent {
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    /// BoringSSL's reasons for a first record that is not a TLS record at all, as its error strings
    /// end (`error:100000f7:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER`).
    static let notTLSReasons: Set<String> = [
        "HTTP_REQUEST", "HTTPS_PROXY_REQUEST", "WRONG_VERSION_NUMBER", "UNEXPECTED_RECORD", "ENCRYPTED_LENGTH_TOO_LONG",
        "DATA_LENGTH_TOO_LONG", "RECORD_TOO_LARGE", "BAD_PACKET_LENGTH", "UNKNOWN_PROTOCOL",
    ]

    /// Whether a failed handshake's error stack (its errors' descriptions) says the peer did not speak TLS.
    static func isNotTLS(_ errors: [String]) -> Bool {
        errors.contains { description in
            // "Error: 268435703 error:100000f7:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER at ssl/tls_record.cc:231"
            description.matches(of: /:([A-Z][A-Z0-9_]*)(?: at |$)/).contains { notTLSReasons.contains(String($0.1)) }
        }
    }
}
