import ArgumentParser
import BrokerCore
import BrokerStore
import Foundation
import Gateway
import Logging

/// `credit-broker disputes export`: the disputes on a data source's records, for a source that
/// reads them outside the partner API (market-data providers without a partner account).
/// `credit-broker disputes reseal`: `credit-broker reseal` (every sealed value under the newest sealing key), where an operator of disputes looks for it.
struct DisputesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disputes",
        abstract: "Disputes (异议) filed through the credit portal.",
        subcommands: [Export.self, ResealCommand.self]
    )

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Print the disputes on one source's records as JSON Lines, in feed order, as GET /v1/disputes shows them.",
            discussion: """
                Pages like the feed: each line has the dispute at its latest state; the last line's position \
                is printed on standard error as 'next: --since N', to pass next time for what changed since. \
                --open keeps only open disputes (each with its deadline and whether it is overdue).
                """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var sealing: SealingKeyOptions

        @Option(help: "The catalog source id whose records' disputes to export (e.g. jiangsu_public_credit).")
        var source: String

        @Option(help: "Only disputes changed after this feed position (from an earlier export's 'next').")
        var since: Int64 = 0

        @Option(help: "At most this many disputes.")
        var limit: Int = 5_000

        @Flag(help: "Only disputes still open.")
        var open = false

        func validate() throws {
            guard since >= 0 else { throw ValidationError("--since must be a feed position (0 or more)") }
            guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 100000") }
            guard source.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }), !source.isEmpty else {
                throw ValidationError("--source must be a catalog source id (lowercase letters, digits, '_')")
            }
        }

        func run() async throws {
            let opened = try await database.open(migrate: true, logger: Logger(label: "credit-broker.disputes"))
            do {
                let keys = try await sealing.keys(database: database)
                let found = try await DisputeStore(pool: opened.pool, keys: keys).feed(source: source, since: since, limit: limit)
                await opened.close()
                let today = CivilDate(Date())
                for dispute in found where !open || dispute.state == .open {
                    print(try DisputeExport.line(dispute, today: today))
                }
                FileHandle.standardError.write(Data("next: --since \(found.last?.feedSeq ?? since)\n".utf8))
            } catch {
                await opened.close()
                throw error
            }
        }
    }
}
