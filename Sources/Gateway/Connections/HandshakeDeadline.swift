import NIOCore
import NIOTLS

/// Closes a TLS connection whose handshake has not finished `timeout` after the handler was added
/// (when the connection was accepted): a client that never sends a ClientHello, stops halfway or
/// trickles it in byte by byte holds nothing for long. Sits right after the TLS handler; when the
/// handshake completes it passes the event on (so ALPN configures the pipeline), hands the
/// negotiated protocol to `negotiated`, and removes itself.
final class HandshakeDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let timeout: TimeAmount
    private let negotiated: (ChannelPipeline.SynchronousOperations, String?) throws -> Void
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount, negotiated: @escaping (ChannelPipeline.SynchronousOperations, String?) throws -> Void) {
        self.timeout = timeout
        self.negotiated = negotiated
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            loopBound.value.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case .handshakeCompleted(let negotiatedProtocol)? = event as? TLSUserEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        deadline?.cancel()
        deadline = nil
        context.fireUserInboundEventTriggered(event)
        do {
            try negotiated(context.pipeline.syncOperations, negotiatedProtocol)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } catch {
            // The pipeline is not what the checks expect: refuse the connection rather than serve it unguarded.
            context.close(promise: nil)
        }
    }
}
