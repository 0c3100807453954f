import ArgumentParser
import BrokerCore
import BrokerStore
import Foundation
import Logging

/// `credit-broker contracts show PARTNER [--on DATE]`: what the partner's contract said on a day,
/// from the versions applied to the database.
struct ContractsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a partner's contract as the database held it on a day (the newest version applied by then whose term covers the day)."
    )

    @Argument(help: "The partner id.")
    var partner: String

    @Option(help: "The day (YYYY-MM-DD, China time); default today.")
    var on: String?

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let day = try on.map { try CivilDate.option($0, name: "on") } ?? CivilDate.today()
        let opened = try await database.open(migrate: true, logger: Logger(label: "credit-broker.contracts"))
        let stored: StoredContractVersion?
        do {
            stored = try await ContractStore(pool: opened.pool).version(of: partner, on: day)
            await opened.close()
        } catch {
            await opened.close()
            throw error
        }
        guard let stored else {
            FileHandle.standardError.write(Data("no version of \(partner)'s contract covering \(day) had been applied by the end of that day\n".utf8))
            throw ExitCode.failure
        }
        let contract = stored.contract
        print("partner   \(contract.partnerID) (\(contract.legalName), \(contract.kind.rawValue))")
        print("version   \(contract.version), applied \(stored.appliedAt.formatted(.iso8601)) from \(stored.sourceFile)")
        print("term      \(contract.term.from)…\(contract.term.to)")
        print("purposes  \(contract.purposes.joined(separator: ", "))")
        print("masking   \(contract.maskingProfile)")
        print("quotas    per day \(contract.quotas.perDay.map(String.init) ?? "unlimited"), per month \(contract.quotas.perMonth.map(String.init) ?? "unlimited")")
        print("rate      \(contract.rateLimit.perSecond)/s, burst \(contract.rateLimit.burst)")
        print("items")
        for item in contract.grants.keys.sorted() {
            print("  \(item): \(ContractChange.describe(contract.grants[item]))")
        }
    }
}
