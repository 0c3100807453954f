import ArgumentParser
import BrokerStore
import Foundation

/// Where the keys that seal the subject's words in a dispute come from: a key file, or a command
/// that prints the keys (a KMS-style hook). With the embedded database and neither, the state
/// folder's `sealing-keys`, created on first use; with an external one, one of the two must be
/// given, the same keys on every gateway and for every `disputes` command.
struct SealingKeyOptions: ParsableArguments {
    @Option(name: .customLong("sealing-keys"), help: ArgumentHelp(
        """
        Key file of the SM4 keys that seal disputes' text at rest: one key a line, 'KEY_ID BASE64' (openssl rand -base64 48), oldest \
        first, the last one seals; mode 0600. Default with the embedded database: <state-dir>/sealing-keys, created on first use \
        (env CREDIT_BROKER_SEALING_KEYS).
        """,
        valueName: "path"
    ))
    var keyFile: String?

    @Option(name: .customLong("sealing-key-command"), help: ArgumentHelp(
        """
        A command (run through /bin/sh at start and on SIGHUP) whose standard output is the sealing keys, as a key file holds them: \
        a KMS hook, instead of --sealing-keys (env CREDIT_BROKER_SEALING_KEY_COMMAND).
        """,
        valueName: "command"
    ))
    var keyCommand: String?

    func validate() throws {
        if resolvedFile != nil, resolvedCommand != nil {
            throw ValidationError("give the sealing keys as a file (--sealing-keys) or a command (--sealing-key-command), not both")
        }
    }

    private var resolvedFile: String? {
        keyFile ?? ProcessInfo.processInfo.environment["CREDIT_BROKER_SEALING_KEYS"].flatMap { $0.isEmpty ? nil : $0 }
    }

    private var resolvedCommand: String? {
        keyCommand ?? ProcessInfo.processInfo.environment["CREDIT_BROKER_SEALING_KEY_COMMAND"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The keys, read (or, with the embedded database and nothing configured, created) now.
    /// Call after `database.open` (which creates the state folder).
    func keys(database: DatabaseOptions) async throws -> SealingKeys {
        do {
            if let command = resolvedCommand { return try await SealingKeys.load(.command(command)) }
            if let file = resolvedFile { return try await SealingKeys.load(.file(file)) }
        } catch let failure {
            throw ValidationError(failure.description)
        }
        guard database.resolvedURL == nil else {
            throw ValidationError("""
                give the sealing keys with --sealing-keys FILE or --sealing-key-command CMD (CREDIT_BROKER_SEALING_KEYS, \
                CREDIT_BROKER_SEALING_KEY_COMMAND) when the database is external: every gateway and 'disputes' command must hold \
                the same keys
                """)
        }
        do {
            return try await SealingKeys.loadOrCreate(file: database.resolvedStateDirectory + "/sealing-keys")
        } catch let failure {
            throw ValidationError(failure.description)
        }
    }
}
