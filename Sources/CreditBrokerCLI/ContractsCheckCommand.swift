import ArgumentParser
import BrokerCore

/// `credit-broker contracts check [DIR]`: validates every contract file against the catalog and policies.
struct ContractsCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate contract files; print file:line: message per problem and exit non-zero on any."
    )

    @Argument(help: "A contracts directory or one contract file.")
    var contracts = "Contracts"

    @OptionGroup var options: ContractsOptions

    func run() async throws {
        do {
            let policies = try options.load()
            let set = try ContractSet(files: ContractsOptions.contractFiles(at: contracts), policies: policies)
            let kinds = Dictionary(grouping: set.contracts, by: \.kind).mapValues(\.count)
            let summary = PartnerKind.allCases.map { "\(kinds[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
            print("\(set.contracts.count) contracts OK (\(summary)) against catalog \(policies.catalog.version) with \(policies.catalog.items.count) items")
        } catch let error as PolicyError {
            ContractsOptions.report(error)
            print("\(error.diagnostics.count) problem(s) found")
            throw ExitCode.failure
        }
    }
}
