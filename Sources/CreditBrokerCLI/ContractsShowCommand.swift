import ArgumentParser
import BrokerCore
import BrokerStore
import Foundation
import Logging

/// `credit-broker contracts show PARTNER [--on DATE | --at INSTANT]`: the version of the partner's
/// contract that governed then, by the same rule the gateway serves by.
struct ContractsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print the partner's contract that governed at an instant (default now), from the database's contract ledger."
    )

    @Argument(help: "The partner id.")
    var partner: String

    @Option(help: "A day (YYYY-MM-DD, China time): the version in force at its end, or now if that is later.")
    var on: String?

    @Option(help: "An instant (RFC 3339, e.g. 2027-01-01T00:00:00+08:00).")
    var at: String?

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if on != nil, at != nil { throw ValidationError("give --on or --at, not both") }
        if let at, Instant.parse(at) == nil { throw ValidationError("--at must be an RFC 3339 instant or a day (YYYY-MM-DD)") }
    }

    func run() async throws {
        let now = Date()
        let instant = try at.flatMap(Instant.parse) ?? on.map { try min(now, CivilDate.option($0, name: "on").adding(days: 1).start().addingTimeInterval(-0.001)) } ?? now
        let opened = try await database.open(migrate: true, logger: Logger(label: "credit-broker.contracts"))
        let stored: ContractVersionRecord?
        do {
            stored = try await ContractStore(pool: opened.pool).version(of: partner, at: instant)
            await opened.close()
        } catch {
            await opened.close()
            throw error
        }
        guard let stored else {
            FileHandle.standardError.write(Data("no version of \(partner)'s contract was in effect at \(instant.formatted(.iso8601))\n".utf8))
            throw ExitCode.failure
        }
        let contract = stored.contract
        print("partner   \(contract.partnerID) (\(contract.legalName), \(contract.kind.rawValue))")
        print("version   \(contract.version), in effect from \(stored.effectiveFrom.formatted(.iso8601)) (\(stored.sourceFile))")
        if let approver = stored.approver {
            print("approved  by \(approver)\(stored.approvedAt.map { " at \($0.formatted(.iso8601))" } ?? ""); proposed by \(stored.proposer ?? "?")")
        }
        print("term      \(contract.term.from)…\(contract.term.to)")
        print("purposes  \(contract.purposes.joined(separator: ", "))")
        print("masking   \(contract.maskingProfile)")
        print("quotas    per day \(contract.quotas.perDay.map(String.init) ?? "unlimited"), per month \(contract.quotas.perMonth.map(String.init) ?? "unlimited")")
        print("rate      \(contract.rateLimit.perSecond)/s, burst \(contract.rateLimit.burst)")
        print("receipts  \(contract.receiptSuite.rawValue)")
        print("items")
        for item in contract.grants.keys.sorted() {
            print("  \(item): \(ContractChange.describe(contract.grants[item]))")
        }
    }
}
