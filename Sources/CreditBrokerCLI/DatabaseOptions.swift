import ArgumentParser
import BrokerCore
import BrokerStore
import Foundation
import Logging
import PostgresClient

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
        if poolSize == nil, let text = ProcessInfo.processInfo.environment["CREDIT_BROKER_DB_POOL_SIZE"], !text.isEmpty,
           (Int(text) ?? 0) < 1 {
            throw ValidationError("CREDIT_BROKER_DB_POOL_SIZE must be a whole number of at least 1, not '\(text)'")
        }
    }

    /// Opens the database (starting the embedded server if no URL is configured).
    func open(migrate: Bool, logger: Logger) async throws -> BrokerDatabase {
        try await BrokerDatabase.open(
            url: resolvedURL, stateFolder: resolvedStateDirectory, poolSize: resolvedPoolSize, migrate: migrate, logger: logger
        )
    }

    /// Opens the database (migrated), runs `body` on its pool and closes it, whether `body` returns or throws.
    func using<T>(_ label: String, _ body: (PostgresPool) async throws -> T) async throws -> T {
        let opened = try await open(migrate: true, logger: Logger(label: label))
        do {
            let value = try await body(opened.pool)
            await opened.close()
            return value
        } catch {
            await opened.close()
            throw error
        }
    }

    /// The hasher that turns ID numbers into person keys. Its secret is `CREDIT_BROKER_PERSON_KEY_SECRET`;
    /// with the embedded database and no such variable, a random secret kept in the state folder
    /// (mode 0600), created on first use. Call after `open` (which creates the folder).
    func personKeyHasher() throws -> PersonKeyHasher {
        do {
            return try PersonKeyHasher(secret: personKeySecret())
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("CREDIT_BROKER_PERSON_KEY_SECRET: \(error)")
        }
    }

    /// The secret partners' subject references derive from: the person-key secret, which
    /// `SubjectPseudonymizer` separates from person keys by its own HKDF salt.
    func subjectReferenceSecret() throws -> [UInt8] {
        try personKeySecret()
    }

    private func personKeySecret() throws -> [UInt8] {
        if let secret = ProcessInfo.processInfo.environment["CREDIT_BROKER_PERSON_KEY_SECRET"], !secret.isEmpty {
            return Array(secret.utf8)
        }
        guard resolvedURL == nil else {
            throw ValidationError("set CREDIT_BROKER_PERSON_KEY_SECRET (at least 32 bytes) when the database is external")
        }
        let file = URL(fileURLWithPath: resolvedStateDirectory).appendingPathComponent("person-key.secret")
        if let existing = try? String(contentsOf: file, encoding: .utf8) {
            return Array(existing.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        }
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }.lowercaseHex
        guard FileManager.default.createFile(atPath: file.path, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(file.path)")
        }
        return Array(secret.utf8)
    }
}
