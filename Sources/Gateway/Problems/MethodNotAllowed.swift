import Hummingbird
import Synchronization

/// Answers 405 `method-not-allowed` with an `Allow` header for a path the router serves asked with a
/// method it does not serve there (TRACE, PUT, PATCH …), where Hummingbird answers 404 as for an
/// unknown path. It decides before the request goes further, so a checking middleware behind it
/// (query parameters, authentication of a route) never answers such a request first.
///
/// Add it to the router where it should act, then, once every route is registered, hand the
/// router's routes to its `routes` table.
struct MethodNotAllowed<Context: RequestContext>: RouterMiddleware {
    /// The served paths and their methods; filled once the router is complete.
    final class RouteTable: Sendable {
        private let entries = Mutex<[(path: RouterPath, methods: Set<String>)]>([])

        init() {}

        /// Takes the router's routes (call after the last route is registered).
        func fill(_ routes: [Router<Context>.RouteDescription]) {
            var byPath: [String: (path: RouterPath, methods: Set<String>)] = [:]
            for route in routes {
                byPath[route.path.description, default: (route.path, [])].methods.insert(route.method.rawValue)
            }
            entries.withLock { $0 = Array(byPath.values) }
        }

        /// The methods served on a path (empty for a path no route serves).
        func methods(servedAt path: String) -> Set<String> {
            let segments = path.split(separator: "/")
            return entries.withLock { entries in
                entries.filter { entry in
                    entry.path.components.count == segments.count && zip(entry.path.components, segments).allSatisfy { $0 ~= $1 }
                }.reduce(into: Set<String>()) { $0.formUnion($1.methods) }
            }
        }
    }

    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let served = routes.methods(servedAt: request.uri.path)
        guard served.isEmpty || served.contains(request.method.rawValue) else {
            let list = served.sorted().joined(separator: ", ")
            throw Problem(
                "method-not-allowed", title: "Method Not Allowed", status: .methodNotAllowed,
                detail: "This path answers \(list) only.", headers: [.allow: list]
            )
        }
        return try await next(request, context)
    }
}
