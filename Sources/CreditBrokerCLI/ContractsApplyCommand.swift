import ArgumentParser
import BrokerCore
import BrokerStore
import Foundation
import Logging

/// `credit-broker contracts apply [DIR]`: checks the contract files, then proposes every contract
/// that differs from the partner's newest version in the database, through the same lifecycle as
/// the admin API: a security administrator approves (or rejects) each proposal there.
struct ContractsApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Check contract files and propose every changed contract (a security administrator approves it through the admin API).",
        discussion: """
            The database holds the contracts in force; the files are what a new installation is seeded \
            with and what reviewers diff. Each file that differs from its partner's newest version \
            becomes a proposal by this host's OS account, recorded in the admin audit chain. Approve \
            with `credit-broker admin approve ID` (or POST /admin/v1/proposals/ID/approve) as the \
            security administrator; until then nothing changes.
            """
    )

    @Argument(help: "A contracts directory or one contract file.")
    var contracts = "Contracts"

    @Option(help: ArgumentHelp("Why, for the proposals and the audit trail.", valueName: "text"))
    var reason = "contracts apply"

    @OptionGroup var options: ContractsOptions
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let files = try ContractsOptions.contractFiles(at: contracts)
        let policies: PolicyBundle
        let checked: ContractSet
        do {
            policies = try options.load()
            checked = try ContractSet(files: files, policies: policies)
        } catch let error as PolicyError {
            ContractsOptions.report(error)
            print("\(error.diagnostics.count) problem(s) found; nothing proposed")
            throw ExitCode.failure
        }
        let texts = Dictionary(files.map { ($0.name, $0.text) }, uniquingKeysWith: { first, _ in first })
        let opened = try await database.open(migrate: true, logger: Logger(label: "credit-broker.contracts"))
        let store = ContractStore(pool: opened.pool)
        var proposed = 0, unchanged = 0
        do {
            let newest = Dictionary(try await store.ledger().ledger.versions.map { ($0.contract.partnerID, $0.contract.version.digest) },
                                    uniquingKeysWith: { _, last in last })
            for (contract, file) in checked.sourced {
                guard newest[contract.partnerID] != contract.version.digest, let text = texts[file] else {
                    unchanged += 1
                    continue
                }
                do {
                    let proposal = try await AdminAuditLog(pool: opened.pool).recording({ connection in
                        try await ContractLifecycle.propose(
                            document: text, effectiveFrom: nil, reason: reason, by: .commandLine, policies: policies, on: connection
                        )
                    }, entry: { proposal in
                        .commandLine("contracts apply", partner: proposal.partnerID, status: 201,
                                     detail: "proposed \(proposal.id): \(proposal.kind.rawValue) \(contract.versionLabel)")
                    })
                    print("proposed \(proposal.id): \(contract.version) (\(proposal.kind.rawValue)) from \(file)")
                    proposed += 1
                } catch let refused as ContractLifecycleError {
                    print("\(file): not proposed: \(refused)")
                }
            }
            await opened.close()
        } catch {
            await opened.close()
            throw error
        }
        print("\(proposed) proposal(s); \(unchanged) contract(s) unchanged. A security administrator approves each through the admin API.")
    }
}
