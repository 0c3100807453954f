import ArgumentParser
import BrokerStore
import Foundation
import Logging

/// Where the broker's database is: flags first, then the environment, then the embedded default.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: ArgumentHelp(
        "PostgreSQL URL or conninfo, e.g. postgresql://broker@db/broker?sslmode=verify-full (env DATABASE_URL). Unset: an embedded PostgreSQL under --state-dir.",
        valueName: "url"
    ))
    var databaseURL: String?

    @Option(name: .customLong("state-dir"), help: ArgumentHelp(
        "Folder for local state: the embedded PostgreSQL cluster and the development PKI (env CREDIT_BROKER_STATE_DIR).",
        valueName: "path"
    ))
    var stateDirectory: String?

    @Option(name: .customLong("db-pool-size"), help: "Maximum database connections (env CREDIT_BROKER_DB_POOL_SIZE).")
    var poolSize: Int?

    var resolvedURL: String? {
        databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    var resolvedStateDirectory: String {
        stateDirectory ?? ProcessInfo.processInfo.environment["CREDIT_BROKER_STATE_DIR"] ?? ".credit-broker"
    }

    var resolvedPoolSize: Int {
        poolSize ?? ProcessInfo.processInfo.environment["CREDIT_BROKER_DB_POOL_SIZE"].flatMap(Int.init) ?? 16
    }

    func validate() throws {
        if let poolSize, poolSize < 1 {
            throw ValidationError("--db-pool-size must be at least 1")
        }
    }

    /// Opens the database (starting the embedded server if no URL is configured).
    func open(migrate: Bool, logger: Logger) async throws -> BrokerDatabase {
        try await BrokerDatabase.open(
            url: resolvedURL, stateFolder: resolvedStateDirectory, poolSize: resolvedPoolSize, migrate: migrate, logger: logger
        )
    }
}
