import ArgumentParser
import BrokerStore
import Logging

/// `credit-broker migrate`: applies the shipped schema migrations.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations (safe to run from several processes at once)."
    )

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = Logger(label: "credit-broker.migrate")
        let opened = try await database.open(migrate: false, logger: logger)
        do {
            let applied = try await Migrator(pool: opened.pool, logger: logger).migrate()
            print(applied.isEmpty
                ? "schema is current (\(Migration.all.count) migrations)"
                : "applied \(applied.count) migration(s): \(applied.map { "\($0.version) \($0.name)" }.joined(separator: ", "))")
            await opened.close()
        } catch {
            await opened.close()
            throw error
        }
    }
}
