import ArgumentParser
import BrokerCore
import BrokerStore
import Logging

/// `credit-broker contracts apply [DIR]`: checks the contract files, then stores each contract that
/// differs from the newest version on file as a new version (insert-only; old versions stay).
struct ContractsApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Check contract files and store every changed contract as a new version in the database."
    )

    @Argument(help: "A contracts directory or one contract file.")
    var contracts = "Contracts"

    @OptionGroup var options: ContractsOptions
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let files = try ContractsOptions.contractFiles(at: contracts)
        let parsed: [(contract: Contract, file: String)]
        do {
            let policies = try options.load()
            _ = try ContractSet(files: files, policies: policies)
            parsed = try files.map { file throws(PolicyError) in
                (try Contract(yaml: file.text, file: file.name, policies: policies), file.name)
            }
        } catch let error as PolicyError {
            ContractsOptions.report(error)
            print("\(error.diagnostics.count) problem(s) found; nothing applied")
            throw ExitCode.failure
        }
        let opened = try await database.open(migrate: true, logger: Logger(label: "credit-broker.contracts"))
        do {
            let added = try await ContractStore(pool: opened.pool).apply(parsed)
            await opened.close()
            added.forEach { print("new version \($0)") }
            print("\(added.count) new version(s); \(parsed.count - added.count) contract(s) unchanged")
        } catch {
            await opened.close()
            throw error
        }
    }
}
