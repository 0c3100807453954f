import Hummingbird

/// Counts and times every request a listener answers, by route and status (`GatewayMetrics.request`):
/// the first middleware of the router, so that it sees every answer as it leaves, the public routes'
/// (`/healthz`, `/v1/receipt-key`), refusals (401, 403, 404, 405, 429) and the partner answers alike.
///
/// A path no route serves counts as route `unmatched`, never as itself: a path can carry anything,
/// a personal identifier included, and every distinct one would be a new series. So does a served
/// path asked with a method it does not serve (405): a method's name can be anything too.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: GatewayMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: response.status, since: started)
            return response
        } catch {
            // Below `ProblemMiddleware`, every error is a problem, whose status the client is sent.
            record(request, context, status: (error as? any HTTPResponseError)?.status ?? .internalServerError, since: started)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: HTTPResponse.Status, since started: ContinuousClock.Instant) {
        metrics.request(route: Self.route(request, context), status: Int(status.code), latency: ContinuousClock.now - started)
    }

    /// `POST /v1/queries`, as the router names the route matched (`{id}` for a path parameter), or `unmatched`.
    static func route(_ request: Request, _ context: Context) -> String {
        guard let path = context.endpointPath, path != "NotFound" else { return "unmatched" }
        return "\(request.method.rawValue) \(path)"
    }
}
