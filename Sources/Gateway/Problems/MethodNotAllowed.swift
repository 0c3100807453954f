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
        private struct Entries {
            /// Paths of literal segments only, by those segments joined with "/": one lookup.
            var literal: [String: Set<String>] = [:]
            /// Paths with a parameter or wildcard, by their number of segments.
            var patterns: [Int: [(path: RouterPath, methods: Set<String>)]] = [:]
        }

        private let entries = Mutex(Entries())

        init() {}

        /// Takes the router's routes (call after the last route is registered); `headWhereGet` for a
        /// router made with `autoGenerateHeadEndpoints`, whose `HEAD` routes `routes` does not list.
        func fill(_ routes: [Router<Context>.RouteDescription], headWhereGet: Bool = false) {
            var byPath: [String: (path: RouterPath, methods: Set<String>)] = [:]
            for route in routes {
                byPath[route.path.description, default: (route.path, [])].methods.insert(route.method.rawValue)
                if headWhereGet, route.method == .get { byPath[route.path.description]?.methods.insert(HTTPRequest.Method.head.rawValue) }
            }
            var table = Entries()
            for (path, methods) in byPath.values {
                // `==` with a string holds for a literal segment only, not for a parameter or wildcard.
                if path.components.allSatisfy({ $0 == $0.description }) {
                    table.literal[path.components.map(\.description).joined(separator: "/"), default: []].formUnion(methods)
                } else {
                    table.patterns[path.components.count, default: []].append((path, methods))
                }
            }
            entries.withLock { $0 = table }
        }

        /// The methods served on a path (empty for a path no route serves). Asked of every request:
        /// scanning every route's segments for each cost the gateway 1 % of its CPU per query (perf).
        func methods(servedAt path: String) -> Set<String> {
            let segments = path.split(separator: "/")
            return entries.withLock { entries in
                var methods = entries.literal[segments.joined(separator: "/")] ?? []
                for entry in entries.patterns[segments.count] ?? [] where zip(entry.path.components, segments).allSatisfy({ $0 ~= $1 }) {
                    methods.formUnion(entry.methods)
                }
                return methods
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
