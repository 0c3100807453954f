import ArgumentParser
import BrokerCore
import BrokerStore
import Foundation
import Gateway
import Logging

/// `credit-broker disputes export`: the disputes on a data source's records, for a source that
/// reads them outside the partner API (market-data providers without a partner account).
/// `credit-broker disputes reseal`: the disputes' text sealed under the newest sealing key.
struct DisputesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disputes",
        abstract: "Disputes (异议) filed through the credit portal.",
        subcommands: [Export.self, Reseal.self]
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

    struct Reseal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reseal",
            abstract: "Seal every dispute's text under the newest sealing key: those sealed under an older key, and those an earlier version kept in clear.",
            discussion: """
                The reason, statement and answer's note of a dispute are sealed at rest (SM4-CTR with HMAC-SM3) under the \
                newest key of the sealing keys (the last line), the key's id beside them. After a new key is added (and every \
                gateway reloaded with it), this re-seals the disputes still under older keys, and seals those filed before \
                sealing, emptying their clear columns; then the old key may be removed. Batches commit one by one: an \
                interrupted run is resumed by running it again, and a run with nothing to do changes nothing. Run as the \
                schema's owner it also vacuums the table after sealing clear rows.
                """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var sealing: SealingKeyOptions

        @Option(help: "Disputes per transaction.")
        var batchSize = 500

        func validate() throws {
            guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size must be from 1 to 100000") }
        }

        func run() async throws {
            let opened = try await database.open(migrate: true, logger: Logger(label: "credit-broker.disputes"))
            do {
                let keys = try await sealing.keys(database: database)
                let summary = try await DisputeStore.reseal(pool: opened.pool, keys: keys, batchSize: batchSize)
                await opened.close()
                let from = ([summary.fromClear > 0 ? "\(summary.fromClear) in clear" : nil] + summary.fromKeys.sorted { $0.key < $1.key }.map {
                    "\($0.value) under '\($0.key)'"
                }).compactMap { $0 }
                print(
                    "resealed \(summary.resealed) dispute(s) under '\(summary.keyID)'" + (from.isEmpty ? "" : " (" + from.joined(separator: ", ") + ")")
                        + "; every dispute is now sealed under '\(summary.keyID)'"
                )
                if summary.fromClear > 0 {
                    print(summary.vacuumed
                        ? "vacuumed disputes: the clear row versions are reclaimable"
                        : "run 'VACUUM disputes' as the table's owner: the clear row versions stay in its files until vacuumed")
                }
            } catch {
                await opened.close()
                throw error
            }
        }
    }
}
