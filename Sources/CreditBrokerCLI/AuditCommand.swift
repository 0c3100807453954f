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
            abstract: "Recompute every row's hash from the database; exit 1 naming every broken seq."
        )

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let opened = try await database.open(migrate: true, logger: Logger(label: "credit-broker.audit"))
            let outcome: Result<Int, AdminAuditLog.Broken>
            do {
                outcome = .success(try await AdminAuditLog(pool: opened.pool).verify())
                await opened.close()
            } catch let broken as AdminAuditLog.Broken {
                outcome = .failure(broken)
                await opened.close()
            } catch {
                await opened.close()
                throw error
            }
            switch outcome {
            case .success(let rows):
                print("audit chain intact: \(rows) rows")
            case .failure(let broken):
                FileHandle.standardError.write(Data("\(broken)\n".utf8))
                throw ExitCode.failure
            }
        }
    }
}
