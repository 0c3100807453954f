import ArgumentParser
import Billing
import BrokerCore
import BrokerStore
import Formats
import Foundation

/// `credit-broker billing …`: a month's statements from the meter ledger, for finance.
struct BillingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "billing",
        abstract: "Monthly statements from the meter ledger, their verification, and usage exports.",
        discussion: """
            A month (China time) is closed once, for every partner at once, after it has ended: each \
            partner's calls are priced by the rate plan of the contract version each was answered \
            under. Corrections of a closed month are adjustments (proposed and approved through the \
            admin API), carried by the partner's next statement.
            """,
        subcommands: [Close.self, Statements.self, Show.self, Export.self, Verify.self]
    )

    static let logLabel = "credit-broker.billing"

    /// `YYYY-MM`, or a validation error naming the option.
    static func month(_ text: String) throws -> CivilMonth {
        guard let month = CivilMonth(text) else { throw ValidationError("--month '\(text)' is not a month YYYY-MM") }
        return month
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "close",
            abstract: "Close a month: write every partner's statement (once; recorded in the admin audit chain as this OS account).",
            discussion: """
                Refused until the month has ended and 10 minutes have passed (its last calls' meter events \
                commit by then), and for a month before one already closed. Closing a closed month again \
                changes nothing and lists its statements.
                """
        )

        @Option(help: "The month, YYYY-MM (China time).")
        var month: String

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let month = try BillingCommand.month(month)
            let closing: BillingStore.Closing
            do {
                closing = try await database.using(BillingCommand.logLabel) { pool in
                    try await AdminAuditLog(pool: pool).recording({ connection in
                        try await BillingStore.close(month, by: .commandLine, at: Date(), on: connection)
                    }, entry: { closing in
                        .commandLine(
                            "billing close", partner: nil, status: closing.alreadyClosed ? 200 : 201,
                            detail: closing.alreadyClosed ? "billing \(month) was closed before"
                                : "closed billing \(month): \(closing.statements.count) statements, \(closing.events) events"
                        )
                    })
                }
            } catch let refused as BillingError {
                FileHandle.standardError.write(Data("billing close: \(refused)\n".utf8))
                throw ExitCode.failure
            }
            print(closing.alreadyClosed
                ? "\(month) was closed before: \(closing.statements.count) statements, \(closing.events) meter events"
                : "closed \(month): \(closing.statements.count) statements, \(closing.events) meter events")
            BillingCommand.printSummaries(closing.statements)
        }
    }

    struct Statements: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "statements", abstract: "List closed statements: partner, month, total, events, SHA-256.")

        @Option(help: "Only this month, YYYY-MM.")
        var month: String?

        @Option(help: "Only this partner.")
        var partner: String?

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let month = try self.month.map(BillingCommand.month)
            let found = try await database.using(BillingCommand.logLabel) { try await BillingStore(pool: $0).statements(partner: partner, month: month) }
            BillingCommand.printSummaries(found)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Print one partner's statement of a month, as JSON (byte for byte as closed) or CSV."
        )

        @Argument(help: "The partner id.")
        var partner: String

        @Option(help: "The month, YYYY-MM.")
        var month: String

        @Option(help: "json or csv.")
        var format = "json"

        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard ["json", "csv"].contains(format) else { throw ValidationError("--format must be json or csv") }
        }

        func run() async throws {
            let month = try BillingCommand.month(month)
            let stored = try await database.using(BillingCommand.logLabel) { try await BillingStore(pool: $0).statement(partner: partner, month: month) }
            guard let stored else {
                FileHandle.standardError.write(Data("no statement of \(partner) for \(month) (not closed, or no contract covered it)\n".utf8))
                throw ExitCode.failure
            }
            if format == "csv" {
                FileHandle.standardOutput.write(Data(try Statement(document: stored.document).csv.utf8))
            } else {
                FileHandle.standardOutput.write(stored.document + Data("\n".utf8))
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write a partner's meter events of some days to a file, and its manifest (count, sums, SHA-256) beside it.",
            discussion: "The manifest is FILE.manifest.json; `sha256sum FILE` prints the SHA-256 it states."
        )

        @Option(help: "The partner id.")
        var partner: String

        @Option(help: "The first day, YYYY-MM-DD (China time).")
        var from: String

        @Option(help: "The last day, YYYY-MM-DD (China time), at most 366 days after --from.")
        var to: String

        @Option(help: "csv or ndjson.")
        var format = "csv"

        @Option(help: "The file to write.")
        var out: String

        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard UsageExport.Format(rawValue: format) != nil else { throw ValidationError("--format must be csv or ndjson") }
        }

        func run() async throws {
            let (first, last) = (try CivilDate.option(from, name: "from"), try CivilDate.option(to, name: "to"))
            do {
                try UsageExport.check(from: first, to: last)
            } catch {
                throw ValidationError("--\(error.field): \(error.reason)")
            }
            guard FileManager.default.createFile(atPath: out, contents: nil), let handle = FileHandle(forWritingAtPath: out) else {
                throw ValidationError("cannot write \(out)")
            }
            let manifest: UsageExport.Manifest
            do {
                manifest = try await database.using(BillingCommand.logLabel) { pool in
                    try await UsageExport(pool: pool).write(partner: partner, from: first, to: last, format: UsageExport.Format(rawValue: format)!) { chunk in
                        try handle.write(contentsOf: chunk)
                    }
                }
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            try manifest.json.write(to: URL(filePath: out + ".manifest.json"))
            print("wrote \(out): \(manifest.count) events, \(manifest.bytes) bytes, sha256 \(manifest.sha256); manifest \(out).manifest.json")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Recompute a closed month's statements' digests, chain links and meter-event digests; exit 1 naming every one that differs."
        )

        @Option(help: "The month, YYYY-MM.")
        var month: String

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let month = try BillingCommand.month(month)
            let checked = try await database.using(BillingCommand.logLabel) { try await BillingStore(pool: $0).verify(month) }
            var broken = 0
            for verification in checked where !verification.intact {
                broken += 1
                var faults: [String] = []
                if !verification.documentIntact { faults.append("its document does not hash to its stored SHA-256") }
                if !verification.chainIntact { faults.append("it does not cite the partner's previous statement") }
                if !verification.eventsMatch {
                    faults.append("the ledger holds \(verification.eventsNow.count) events of the month with digest \(verification.eventsNow.sha256.prefix(12))…")
                }
                FileHandle.standardError.write(Data("\(verification.partner) \(month): \(faults.joined(separator: "; "))\n".utf8))
            }
            guard broken == 0 else { throw ExitCode.failure }
            print("\(month): \(checked.count) statements intact")
        }
    }

    static func printSummaries(_ summaries: [BillingStore.Summary]) {
        for summary in summaries {
            print("\(summary.month) \(summary.partner) \(summary.total) \(Money.currency), \(summary.events) events, sha256 \(summary.sha256)")
        }
    }
}
