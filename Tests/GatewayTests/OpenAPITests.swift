import BrokerCore
import Foundation
import Gateway
import Hummingbird
import TestSupport
import Testing
import Yams

/// `Contracts/api/openapi.yaml` and `Contracts/api/admin-openapi.yaml` describe exactly the routes
/// the partner and admin listeners serve.
@Suite struct OpenAPITests {
    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]

    @Test func thePartnerDescriptionListsEveryServedRouteAndNoOther() async throws {
        let described = try Self.operations(in: "openapi.yaml")
        try await RouterTestApp.run { app in
            let served = Self.served(GatewayServer.router(pool: app.pool, partners: app.partners).routes)
            #expect(Set(described.keys).subtracting(served).sorted() == [], "described but not served")
            #expect(served.subtracting(described.keys).sorted() == [], "served but not described")
        }
    }

    @Test func theAdminDescriptionListsEveryServedRouteAndNoOtherWithTheRolesAllowed() async throws {
        let described = try Self.operations(in: "admin-openapi.yaml")
        try await RouterTestApp.run { app in
            // The console's pages (`/console`, HTML for a browser) are not part of the API.
            let served = Self.served(AdminServer.router(app.admin).routes).filter { !$0.contains(" /console") }
            #expect(Set(described.keys).subtracting(served).sorted() == [], "described but not served")
            #expect(served.subtracting(described.keys).sorted() == [], "served but not described")
        }
        // The roles each operation allows are AdminEndpoint's, the one place the routes enforce.
        #expect(Set(described.keys) == Set(AdminEndpoint.all.map(\.description)))
        for endpoint in AdminEndpoint.all {
            let allowed = described[endpoint.description]?["x-roles"] as? [String] ?? []
            #expect(allowed.sorted() == endpoint.roles.map(\.rawValue).sorted(), "\(endpoint): x-roles \(allowed)")
        }
    }

    @Test func theOperationsListenerServesMetricsAndThePartnerListenerDoesNot() async throws {
        try await RouterTestApp.run { app in
            let served = Self.served(OperationsServer.router(pool: app.pool, metrics: app.metrics).routes)
            #expect(served == ["GET /healthz", "GET /readyz", "GET /metrics"])
        }
    }

    /// The partner description's purposes, items and categories are exactly the catalog's, so a
    /// schema-valid request names only what the server knows.
    @Test func thePartnerDescriptionsEnumsAreTheCatalogs() throws {
        let text = try String(contentsOf: Repository.root.appending(path: "Contracts/api/openapi.yaml"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        func values(_ name: String) -> [String] { (schemas[name] as? [String: Any])?["enum"] as? [String] ?? [] }
        let policies = try Fixtures.policies()
        #expect(values("Purpose") == policies.purposes.ids)
        #expect(values("ItemID") == policies.catalog.items.map(\.id))
        #expect(values("CategoryID") == policies.catalog.categories.map(\.id))
        // The partner kinds `GET /v1/partner` answers are `PartnerKind`'s (a portal, a data source included).
        let paths = try #require(document["paths"] as? [String: Any])
        let partner = ((paths["/v1/partner"] as? [String: Any])?["get"] as? [String: Any])?["responses"] as? [String: Any]
        let schema = (((partner?["200"] as? [String: Any])?["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
        let kinds = ((schema?["properties"] as? [String: Any])?["kind"] as? [String: Any])?["enum"] as? [String]
        #expect(kinds == PartnerKind.allCases.map(\.rawValue))
    }

    /// The description's operations (`GET /v1/usage`) and their fields.
    private static func operations(in file: String) throws -> [String: [String: Any]] {
        let text = try String(contentsOf: Repository.root.appending(path: "Contracts/api/" + file), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: Any])
        var operations: [String: [String: Any]] = [:]
        for (path, entries) in paths {
            for (method, fields) in entries as? [String: Any] ?? [:] where Self.methods.contains(method) {
                operations["\(method.uppercased()) \(path)"] = fields as? [String: Any] ?? [:]
            }
        }
        return operations
    }

    /// The routes as `GET /v1/consents/{id}` (Hummingbird writes a parameter as OpenAPI does).
    private static func served<Context>(_ routes: [Router<Context>.RouteDescription]) -> Set<String> {
        Set(routes.map { "\($0.method.rawValue) \($0.path.description)" })
    }
}
