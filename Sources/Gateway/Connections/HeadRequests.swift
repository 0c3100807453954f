import Hummingbird

/// Every answer to a `HEAD` without its body: the same status and header fields, `Content-Length`
/// included (RFC 9110 §9.3.2). The router answers `HEAD` wherever `GET` is served (its
/// `autoGenerateHeadEndpoints`, which strips the body of a `GET` route's answer); this covers the
/// rest: an error's problem (401, 404, 405 …), which the router would otherwise write whole.
///
/// Over HTTP/1.1 NIO's encoder drops a `HEAD` answer's body by itself; over HTTP/2 nothing does,
/// and swift-nio-http2 takes DATA on a `HEAD` stream for a protocol error: the 405 problem that a
/// `HEAD` used to get closed the whole connection, and every request in flight on it with it
/// (their answers metered and never delivered). Outside `ProblemMiddleware`, so that it sees every
/// answer.
struct HeadRequests<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .head else { return try await next(request, context) }
        do {
            return try await next(request, context).createHeadResponse()
        } catch let error as any HTTPResponseError {
            return try error.response(from: request, context: context).createHeadResponse()
        }
    }
}
