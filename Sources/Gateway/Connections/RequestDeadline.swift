import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Bounds the time a request takes to arrive whole: `timeout` from its head to the end of its body.
/// A body that stalls or trickles in is answered 408 `request-timeout` (problem+json) if no answer
/// has begun, and the connection (HTTP/1.1) or stream (HTTP/2) is closed; the handler's own answer,
/// if it still tries one, is dropped.
///
/// One per HTTP/1.1 connection and per HTTP/2 stream, through Hummingbird's
/// `additionalChannelHandlers` (after HTTP decoding, before the request is handled).
final class RequestDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    private var answering = false
    private var expired = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            answering = false
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            deadline?.cancel()
            deadline = context.eventLoop.scheduleTask(in: timeout) {
                let (handler, context) = loopBound.value
                handler.expire(context: context)
            }
        case .body:
            break
        case .end:
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !expired else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        if case .head = unwrapOutboundIn(data) { answering = true }
        context.write(data, promise: promise)
    }

    private func expire(context: ChannelHandlerContext) {
        deadline = nil
        expired = true
        // The handler reading the body hears why it stopped (`Problem(readingBody:)`), so that the
        // meter event and the admin audit record the 408 the client is sent, not a 400.
        let timedOut = RequestTimedOut(seconds: timeout.nanoseconds / 1_000_000_000)
        context.fireErrorCaught(timedOut)
        guard !answering else {
            context.close(promise: nil)
            return
        }
        let problem = timedOut.problem
        let body = ByteBuffer(bytes: problem.json)
        var head = HTTPResponse(status: .requestTimeout, headerFields: [
            .contentType: "application/problem+json", .contentLength: String(body.readableBytes),
        ])
        // HTTP/1.1 closes the connection; an HTTP/2 stream (a child channel) closes alone, and
        // HTTP/2 forbids connection-specific header fields.
        if context.channel.parent == nil { head.headerFields[.connection] = "close" }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}

/// The request did not arrive whole within `seconds` of its head (`RequestDeadline`).
struct RequestTimedOut: Error {
    let seconds: Int64

    /// What the client is answered: 408 `request-timeout`.
    var problem: Problem {
        Problem(
            "request-timeout", title: "Request Timeout", status: .requestTimeout,
            detail: "The request did not arrive whole within \(seconds) s of its first line."
        )
    }
}
