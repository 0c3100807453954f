import NIOCore
import NIOHTTP2

/// Two deadlines of an HTTP/2 connection that swift-nio-http2 and Hummingbird leave open:
///
/// - SETTINGS: the client must acknowledge the server's SETTINGS within `settings` (RFC 9113
///   §6.5.3); one that does not, or never sends its preface at all, gets GOAWAY SETTINGS_TIMEOUT
///   and is closed.
/// - Closing: Hummingbird answers an idle connection (and a server shutdown) with GOAWAY and a PING
///   and closes only once the PING is answered, so a silent client held the connection for good.
///   Here any connection sent a GOAWAY is closed `close` later at the latest.
///
/// Sits right after `NIOHTTP2Handler`, where it sees the connection's own frames (stream 0) both
/// ways, including the GOAWAY Hummingbird's connection manager writes.
final class HTTP2ConnectionDeadlines: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let settings: TimeAmount
    private let close: TimeAmount
    private var settingsDeadline: Scheduled<Void>?
    private var closeDeadline: Scheduled<Void>?

    init(settings: TimeAmount, close: TimeAmount) {
        self.settings = settings
        self.close = close
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        settingsDeadline = context.eventLoop.scheduleTask(in: settings) {
            let (handler, context) = loopBound.value
            handler.settingsDeadline = nil
            let goAway = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: .maxID, errorCode: .settingsTimeout, opaqueData: nil))
            context.writeAndFlush(handler.wrapOutboundOut(goAway)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        settingsDeadline?.cancel()
        closeDeadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .settings(.ack) = unwrapInboundIn(data).payload {
            settingsDeadline?.cancel()
            settingsDeadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .goAway = unwrapOutboundIn(data).payload, closeDeadline == nil {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            closeDeadline = context.eventLoop.scheduleTask(in: close) {
                loopBound.value.close(promise: nil)
            }
        }
        context.write(data, promise: promise)
    }
}
