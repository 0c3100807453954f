import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// The `credit-broker` command line.
@main
struct CreditBroker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credit-broker",
        abstract: "The credit-data gateway between the public credit platform, market data and lenders.",
        subcommands: [
            DemoCommand.self,
            ServeCommand.self,
            MigrateCommand.self,
            ContractsCommand.self,
            IDsCommand.self,
            DemoDataCommand.self,
            ScoreCommand.self,
            IngestCommand.self,
            PKICommand.self,
            KeysCommand.self,
            ReceiptsCommand.self,
            RecordsCommand.self,
            AuditCommand.self,
            DisputesCommand.self,
            ResealCommand.self,
            ReportCommand.self,
            AdminCommand.self,
            BillingCommand.self,
        ]
    )

    /// Every file and folder the broker makes (state folder, keys, PKI, feed files, receipts) is
    /// its own account's alone unless made otherwise on purpose: umask 077, then ArgumentParser's own `main`.
    static func main() async {
        umask(0o077)
        do {
            var command = try parseAsRoot()
            if command is ServeCommand || command is DemoCommand {
                // Request handlers then run on the event loop threads that read their requests
                // instead of hopping to Swift's own thread pool and back (fewer thread wake-ups per
                // query). Here, on the main thread and before any task has run, as NIO requires.
                ServeCommand.tasksOnEventLoops.store(
                    NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor(), ordering: .relaxed
                )
            }
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
