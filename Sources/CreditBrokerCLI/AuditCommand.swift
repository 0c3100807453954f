import ArgumentParser
import BrokerStore
import Foundation
import Logging

/// `credit-broker audit verify`: checks the admin audit chain.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "The admin audit chain (every request to the admin API, hash-linked).",
        subcommands: [Verify.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Recompute every row's hash (SHA-256 or SM3, as the chain's first row records) from the database; exit 1 naming every broken seq."
        )

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let opened = try await database.open(migrate: true, logger: Logger(label: "credit-broker.audit"))
            let outcome: Result<(rows: Int, digest: AuditDigest), AdminAuditLog.Broken>
            do {
                let log = AdminAuditLog(pool: opened.pool)
                let digest = try await log.digest()
                outcome = .success((try await log.verify(), digest))
                await opened.close()
            } catch let broken as AdminAuditLog.Broken {
                outcome = .failure(broken)
                await opened.close()
            } catch {
                await opened.close()
                throw error
            }
            switch outcome {
            case .success(let chain):
                print("audit chain intact: \(chain.rows) rows, linked with \(chain.digest.title)")
            case .failure(let broken):
                FileHandle.standardError.write(Data("\(broken)\n".utf8))
                throw ExitCode.failure
            }
        }
    }
}
