import BrokerCore
import Foundation

/// The repository's policy bundle and shipped contracts, read once per test process, for every test
/// target that needs them (the files are the ones `serve` reads: `Policies/`, `Contracts/`).
public enum Fixtures {
    /// `Policies/catalog.yaml`, `masking.yaml`, `purposes.yaml` and `partner-defaults.yaml`.
    public static func policies() throws -> PolicyBundle {
        try loaded.policies.get()
    }

    /// The shipped contract files (`Contracts/*.yaml`), checked together, each with its file path
    /// relative to the repository.
    public static func contractFiles() throws -> [(contract: Contract, file: String)] {
        try loaded.contracts.get().map { ($0.contract, $0.file) }
    }

    /// The shipped contracts that govern on `day` (default: today, China time).
    public static func contracts(on day: CivilDate = .today()) throws -> [Contract] {
        ContractSet(contracts: try contractFiles().map(\.contract)).governing(on: day)
    }

    /// The text of a repository file (`path` relative to the repository).
    public static func text(_ path: String) throws -> String {
        try String(contentsOf: Repository.root.appending(path: path), encoding: .utf8)
    }

    /// A repository file's path (relative to the repository) and text, as the policy readers take them.
    public static func file(_ path: String) throws -> (file: String, text: String) {
        (path, try text(path))
    }

    private struct SourcedContract: Sendable {
        let contract: Contract
        let file: String
    }

    private static let loaded: (policies: Result<PolicyBundle, any Error>, contracts: Result<[SourcedContract], any Error>) = {
        let policies = Result {
            try PolicyBundle(
                catalog: file("Policies/catalog.yaml"), masking: file("Policies/masking.yaml"),
                purposes: file("Policies/purposes.yaml"), defaults: file("Policies/partner-defaults.yaml")
            )
        }
        let contracts = Result {
            let names = try FileManager.default.contentsOfDirectory(atPath: Repository.root.appending(path: "Contracts").path)
                .filter { $0.hasSuffix(".yaml") }.sorted()
            let files = try names.map { name in
                let contract = try file("Contracts/" + name)
                return (name: contract.file, text: contract.text)
            }
            return try ContractSet(files: files, policies: policies.get()).sourced
                .map { SourcedContract(contract: $0.contract, file: $0.file) }
        }
        return (policies, contracts)
    }()
}
