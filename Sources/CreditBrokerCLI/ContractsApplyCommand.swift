import ArgumentParser
import BrokerCore
import BrokerStore
import Foundation
import Logging
import PostgresClient

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
            FileHandle.standardError.write(Data("\(error.diagnostics.count) problem(s) found; nothing proposed\n".utf8))
            throw ExitCode.failure
        }
        let texts = Dictionary(files.map { ($0.name, $0.text) }, uniquingKeysWith: { first, _ in first })
        let opened = try await database.open(migrate: true, logger: Logger(label: "credit-broker.contracts"))
        let store = ContractStore(pool: opened.pool)
        let outcome: Outcome
        do {
            let newest = Dictionary(try await store.ledger().ledger.versions.map { ($0.contract.partnerID, $0.contract.version.digest) },
                                    uniquingKeysWith: { _, last in last })
            let changed = checked.sourced.compactMap { contract, file -> Change? in
                guard newest[contract.partnerID] != contract.version.digest, let text = texts[file] else { return nil }
                return Change(contract: contract, file: file, text: text)
            }
            outcome = try await propose(changed, unchanged: checked.sourced.count - changed.count, pool: opened.pool, policies: policies)
            await opened.close()
        } catch {
            await opened.close()
            throw error
        }
        guard outcome.refused.isEmpty else {
            // Every change was tried in one transaction, rolled back: the ledger holds none of them.
            for (file, refusal) in outcome.refused {
                FileHandle.standardError.write(Data("\(file): would be refused: \(refusal)\n".utf8))
            }
            let others = outcome.changed.map(\.file).filter { file in !outcome.refused.contains { $0.file == file } }
            FileHandle.standardError.write(Data("""
                \(outcome.refused.count) of \(outcome.changed.count) changed contract(s) would be refused; nothing proposed\
                \(others.isEmpty ? "" : " (not proposed either: \(others.joined(separator: ", ")))"). \
                Correct the file(s) above and apply again.

                """.utf8))
            throw ExitCode.failure
        }
        for (change, proposal) in outcome.proposed {
            print("proposed \(proposal.id): \(change.contract.version) (\(proposal.kind.rawValue)) from \(change.file)")
        }
        print("\(outcome.proposed.count) proposal(s); \(outcome.unchanged) contract(s) unchanged. A security administrator approves each through the admin API.")
    }

    /// A contract file that differs from its partner's newest version.
    struct Change: Sendable {
        let contract: Contract
        let file: String
        let text: String
    }

    /// What applying did: every change proposed, or, when any would be refused, none.
    struct Outcome: Sendable {
        var changed: [Change]
        var unchanged: Int
        var proposed: [(Change, ContractProposal)] = []
        var refused: [(file: String, refusal: ContractLifecycleError)] = []
    }

    /// The lifecycle's refusal of one file ends the transaction that holds the others' proposals.
    private struct RolledBack: Error {
        let outcome: Outcome
    }

    /// Proposes every change in one transaction, each with its audit row: the lifecycle checks each
    /// file against the ledger as the others leave it, and if it refuses any, the transaction is
    /// rolled back, so that a directory is proposed whole or not at all.
    private func propose(_ changed: [Change], unchanged: Int, pool: PostgresPool, policies: PolicyBundle) async throws -> Outcome {
        do {
            return try await pool.transaction { connection in
                var outcome = Outcome(changed: changed, unchanged: unchanged)
                for change in changed {
                    do {
                        let proposal = try await ContractLifecycle.propose(
                            document: change.text, effectiveFrom: nil, reason: reason, by: .commandLine, policies: policies, on: connection
                        )
                        try await AdminAuditLog.append(
                            .commandLine("contracts apply", partner: proposal.partnerID, status: 201,
                                         detail: "proposed \(proposal.id): \(proposal.kind.rawValue) \(change.contract.versionLabel)"),
                            at: Date(), on: connection)
                        outcome.proposed.append((change, proposal))
                    } catch let refused as ContractLifecycleError {
                        outcome.refused.append((change.file, refused))
                    }
                }
                guard outcome.refused.isEmpty else { throw RolledBack(outcome: outcome) }
                return outcome
            }
        } catch let rolledBack as RolledBack {
            return rolledBack.outcome
        }
    }
}
