import ArgumentParser
import BrokerCore
import Foundation

/// `credit-broker contracts diff OLD NEW`: what each partner gains or loses, item by item.
struct ContractsDiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what each partner gains or loses between two contract directories or files."
    )

    @Argument(help: "The old contracts (directory or file).")
    var old: String

    @Argument(help: "The new contracts (directory or file).")
    var new: String

    @Option(help: "Compare the contracts governing this day (YYYY-MM-DD); default today, China time.")
    var at: String?

    @OptionGroup var options: ContractsOptions

    func run() async throws {
        let day = try at.map { try CivilDate.option($0, name: "at") } ?? CivilDate(Date())
        do {
            let policies = try options.load()
            let before = try ContractSet(files: ContractsOptions.contractFiles(at: old), policies: policies).governing(on: day)
            let after = try ContractSet(files: ContractsOptions.contractFiles(at: new), policies: policies).governing(on: day)
            let changes = ContractChange.between(old: before, new: after)
            changes.forEach { print($0) }
            print(ContractChange.summary(changes.count))
        } catch let error as PolicyError {
            ContractsOptions.report(error)
            throw ExitCode.failure
        }
    }
}

extension ContractChange {
    /// The line that ends a list of changes (`contracts diff`, `admin diff`).
    static func summary(_ count: Int) -> String { count == 0 ? "no differences" : "\(count) change(s)" }
}
