import ArgumentParser
import BrokerStore
import Logging

/// `credit-broker records mask-at-rest`: brings records an older ingest stored in clear to the masked
/// form the ingest stores now.
struct RecordsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "records",
        abstract: "Stored records.",
        subcommands: [MaskAtRest.self]
    )

    struct MaskAtRest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mask-at-rest",
            abstract: "Mask the names, mobile numbers, bank cards and addresses an older ingest stored in clear, in records and their history.",
            discussion: """
                The ingest stores every field the catalog masks in the form the catalog's own mask gives (the \
                most any partner is shown). A database filled by an earlier version holds those fields in clear \
                in records and record_versions; this rewrites them in batches, leaving every other value, \
                version and change sequence as it is. Safe to run again (it then changes nothing). Run it as \
                the role that owns the schema, like 'migrate': it lifts the history's insert-only trigger for \
                each batch's own transaction.
                """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var policies: ContractsOptions

        @Option(help: "Rows per transaction.")
        var batchSize = 5_000

        func validate() throws {
            guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        }

        func run() async throws {
            let bundle = try policies.load()
            let opened = try await database.open(migrate: true, logger: Logger(label: "credit-broker.records"))
            do {
                let summary = try await StoredRecordMasking.run(
                    pool: opened.pool, catalog: bundle.catalog, masking: bundle.masking, batchSize: batchSize
                )
                print("masked \(summary.records) record(s) and \(summary.versions) superseded version(s); every other value unchanged")
                await opened.close()
            } catch {
                await opened.close()
                throw error
            }
        }
    }
}
