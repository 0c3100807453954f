import Hummingbird

/// The partner routes of one group, and the one way an answer that discloses leaves them.
///
/// A route whose answer discloses subject data (or states something the partner may have to prove:
/// its identity, a consent) is registered through `get` or `post` here, and its handler returns a
/// `DisclosedAnswer`, never a `Response`: this turns it into one, noting the meter's facts and signing
/// the receipt over the bytes sent. Routes that disclose nothing (a list of the partner's own
/// watchlist, its usage, a 204) are registered on `group` directly.
struct DisclosingRoutes {
    /// The group the routes are registered in (its middleware: authentication, metering, …).
    let group: RouterGroup<GatewayRequestContext>
    /// Signs every receipt of the group's disclosing answers.
    let signer: ReceiptSigner

    typealias Handler = @Sendable (Request, GatewayRequestContext) async throws -> DisclosedAnswer

    /// A disclosing `GET` route.
    func get(_ path: RouterPath, _ handler: @escaping Handler) {
        on(path, method: .get, handler)
    }

    /// A disclosing `POST` route.
    func post(_ path: RouterPath, _ handler: @escaping Handler) {
        on(path, method: .post, handler)
    }

    private func on(_ path: RouterPath, method: HTTPRequest.Method, _ handler: @escaping Handler) {
        group.on(path, method: method) { [signer] request, context -> Response in
            try await handler(request, context).response(context: context, signer: signer)
        }
    }

    /// The same routes in a subgroup with more middleware (the quota middleware of billable routes).
    func adding(middleware: any MiddlewareProtocol<Request, Response, GatewayRequestContext>) -> DisclosingRoutes {
        DisclosingRoutes(group: group.group().add(middleware: middleware), signer: signer)
    }
}
