import Hummingbird

/// Answers 405 `method-not-allowed` with an `Allow` header for a path the router serves asked with a
/// method it does not serve there (TRACE, PUT, PATCH …), where Hummingbird answers 404 as for an
/// unknown path. Added to a router last, once every route is registered, it wraps only the
/// not-found responder: it sees exactly the requests no route took.
struct MethodNotAllowed<Context: RequestContext>: RouterMiddleware {
    private let routes: [(path: RouterPath, methods: [HTTPRequest.Method])]

    init(_ routes: [Router<Context>.RouteDescription]) {
        var byPath: [String: (path: RouterPath, methods: [HTTPRequest.Method])] = [:]
        for route in routes {
            byPath[route.path.description, default: (route.path, [])].methods.append(route.method)
        }
        self.routes = Array(byPath.values)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError where error.status == .notFound && !(error is Problem) {
            let segments = request.uri.path.split(separator: "/")
            let allowed = Set(routes.filter { Self.path($0.path, matches: segments) }.flatMap(\.methods).map(\.rawValue)).sorted()
            guard !allowed.isEmpty else { throw error }
            let list = allowed.joined(separator: ", ")
            throw Problem(
                "method-not-allowed", title: "Method Not Allowed", status: .methodNotAllowed,
                detail: "This path answers \(list) only.", headers: [.allow: list]
            )
        }
    }

    private static func path(_ path: RouterPath, matches segments: [Substring]) -> Bool {
        guard path.components.count == segments.count else { return false }
        return zip(path.components, segments).allSatisfy { $0 ~= $1 }
    }
}
