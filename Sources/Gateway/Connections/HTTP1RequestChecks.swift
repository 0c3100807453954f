import NIOCore
import NIOHTTP1

/// What RFC 9112 asks of an HTTP/1.1 server before the request reaches the application, answered
/// as problem+json rather than Hummingbird's bare 400:
///
/// - a header field or header section over the decoder's limits: 431 `header-too-large`;
/// - any other malformed request: 400 `malformed-request`;
/// - an HTTP/1.1 request without `Host`, or any request with more than one: 400 `host-missing`
///   (RFC 9112 §3.2).
///
/// The connection is closed after the answer. Sits right after NIOHTTP1's request decoder.
///
/// An oversized or malformed head is no client's slip (every HTTP library writes a well-formed head
/// of a few kilobytes): each counts against the client's address at `gate`. A missing `Host` does not.
final class HTTP1RequestChecks: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var refused = false
    /// Hears of hostile heads (`nil`: none).
    private let gate: ConnectionGate?

    init(gate: ConnectionGate?) {
        self.gate = gate
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        if case .head(let head) = unwrapInboundIn(data) {
            let hosts = head.headers["Host"].count
            let atLeast11 = head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1)
            if hosts > 1 || (hosts == 0 && atLeast11) {
                return refuse(context: context, version: head.version, Problem(
                    "host-missing", title: "Bad Request", status: .badRequest,
                    detail: "An HTTP/1.1 request must carry exactly one Host header.", field: "Host"
                ))
            }
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        guard !refused else { return }
        if case .headerOverflow = error {
            gate?.struck(context.channel.remoteAddress, abuse: "header_too_large")
            refuse(context: context, version: .http1_1, Problem(
                "header-too-large", title: "Request Header Fields Too Large", status: .requestHeaderFieldsTooLarge,
                detail: "The request's header fields are too large or too many."
            ))
        } else {
            // A client that closes halfway through a request (gave up, lost its network) is no strike.
            if error != .invalidEOFState { gate?.struck(context.channel.remoteAddress, abuse: "malformed_http") }
            refuse(context: context, version: .http1_1, Problem(
                "malformed-request", title: "Bad Request", status: .badRequest, detail: "The request is not well-formed HTTP/1.1."
            ))
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !refused else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(data, promise: promise)
    }

    private func refuse(context: ChannelHandlerContext, version: HTTPVersion, _ problem: Problem) {
        refused = true
        let body = ByteBuffer(bytes: problem.json)
        let head = HTTPResponseHead(
            version: version.major == 1 && version.minor == 0 ? .http1_0 : .http1_1,
            status: HTTPResponseStatus(statusCode: Int(problem.status.code)),
            headers: ["Content-Type": "application/problem+json", "Content-Length": String(body.readableBytes), "Connection": "close"]
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
