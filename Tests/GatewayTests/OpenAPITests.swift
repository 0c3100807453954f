import Foundation
import Gateway
import Testing
import Yams

/// `Contracts/api/openapi.yaml` describes exactly the routes the gateway serves.
@Suite struct OpenAPITests {
    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]

    @Test func theDescriptionListsEveryServedRouteAndNoOther() async throws {
        let text = try String(contentsOf: TestGateway.root.appending(path: "Contracts/api/openapi.yaml"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: Any])
        var described: Set<String> = []
        for (path, operations) in paths {
            for method in (operations as? [String: Any] ?? [:]).keys where Self.methods.contains(method) {
                described.insert("\(method.uppercased()) \(path)")
            }
        }
        try await TestGateway.run { gateway in
            let router = GatewayServer.router(pool: gateway.pool, partners: gateway.partners)
            let served = Set(router.routes.map { route in
                // Hummingbird writes parameters as `:id`, OpenAPI as `{id}`.
                let path = route.path.description.split(separator: "/").map { part in
                    part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
                }.joined(separator: "/")
                return "\(route.method.rawValue) /\(path)"
            })
            #expect(described.subtracting(served).sorted() == [], "described but not served")
            #expect(served.subtracting(described).sorted() == [], "served but not described")
        }
    }
}
