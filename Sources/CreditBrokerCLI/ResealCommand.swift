import ArgumentParser
import BrokerStore
import Logging
import Metering

/// `credit-broker reseal` (also `credit-broker disputes reseal`): every sealed value the database
/// holds moved under the newest sealing key, and those an earlier version kept in clear sealed.
struct ResealCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reseal",
        abstract: "Seal every sealed value under the newest sealing key: disputes' text, responses kept for retries, batch-review results, consent revocation notes.",
        discussion: """
            A dispute's reason, statement and answer's note, a response kept for a retry under an Idempotency-Key, a \
            batch review's per-subject result and an administrator's reason for revoking a consent are sealed at rest (SM4-CTR with HMAC-SM3) under the newest key of the \
            sealing keys (the last line), the key's id beside them. After a new key is added (and every gateway reloaded \
            with it), this re-seals the values still under older keys, and seals those an earlier version kept in clear, \
            emptying their clear columns; then the old key may be removed. Batches commit one by one: an interrupted run \
            is resumed by running it again, and a run with nothing to do changes nothing. Run as the schema's owner it \
            also vacuums a table in which it sealed clear rows.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var sealing: SealingKeyOptions

    @Option(help: "Rows per transaction.")
    var batchSize = 500

    func validate() throws {
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size must be from 1 to 100000") }
    }

    func run() async throws {
        let opened = try await database.open(migrate: true, logger: Logger(label: "credit-broker.reseal"))
        do {
            let keys = try await sealing.keys(database: database)
            let summaries = [
                try await DisputeStore.reseal(pool: opened.pool, keys: keys, batchSize: batchSize),
                try await IdempotencyStore.reseal(pool: opened.pool, keys: keys, batchSize: batchSize),
                try await BatchReviewStore.reseal(pool: opened.pool, keys: keys, batchSize: batchSize),
                try await ConsentStore.reseal(pool: opened.pool, keys: keys, batchSize: batchSize),
            ]
            await opened.close()
            for summary in summaries { Self.report(summary) }
        } catch {
            await opened.close()
            throw error
        }
    }

    /// `resealed 1 dispute(s) under 'k2' (1 in clear); every dispute is now sealed under 'k2'`, and
    /// whether the table was vacuumed.
    static func report(_ summary: SealedColumns.ResealSummary) {
        let (rows, every) = switch summary.table {
        case .disputes: ("dispute(s)", "every dispute")
        case .idempotencyKeys: ("response(s) kept for retries", "every response kept for a retry")
        case .batchReviewSubjects: ("batch-review result(s)", "every batch-review result")
        case .consents: ("consent revocation note(s)", "every consent revocation note")
        }
        let from = ([summary.fromClear > 0 ? "\(summary.fromClear) in clear" : nil] + summary.fromKeys.sorted { $0.key < $1.key }.map {
            "\($0.value) under '\($0.key)'"
        }).compactMap { $0 }
        print(
            "resealed \(summary.resealed) \(rows) under '\(summary.keyID)'" + (from.isEmpty ? "" : " (" + from.joined(separator: ", ") + ")")
                + "; \(every) is now sealed under '\(summary.keyID)'"
        )
        if summary.fromClear > 0 {
            let table = summary.table.rawValue
            print(summary.vacuumed
                ? "vacuumed \(table): the clear row versions are reclaimable"
                : "run 'VACUUM \(table)' as the table's owner: the clear row versions stay in its files until vacuumed")
        }
    }
}
