import Foundation
import TestSupport
@testable import BrokerCore
import TestSupport

/// The repository's policies and contracts, loaded once per test process.
enum PolicyFixtures {
    static let policies: PolicyBundle = {
        func file(_ path: String) -> (file: String, text: String) {
            (path, try! Fixtures.text(path))
        }
        return try! PolicyBundle(
            catalog: file("Policies/catalog.yaml"), masking: file("Policies/masking.yaml"),
            purposes: file("Policies/purposes.yaml"), defaults: file("Policies/partner-defaults.yaml")
        )
    }()

    /// Every file of `directory`, sorted by name, as the CLI reads them.
    static func files(in directory: URL) throws -> [(name: String, text: String)] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path()).filter { $0.hasSuffix(".yaml") }.sorted().map { name in
            (name, try String(contentsOf: directory.appending(path: name), encoding: .utf8))
        }
    }

    static func shippedContracts() throws -> [(name: String, text: String)] {
        try files(in: Repository.root.appending(path: "Contracts"))
    }
}
