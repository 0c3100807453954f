import BrokerCore
import BrokerStore
import Foundation
import Logging
import PostgresClient
import ServiceLifecycle

/// Keeps `LiveContracts` equal to the database's ledger: re-reads it when a change is announced
/// (`LISTEN credit_broker_contracts`), and checks the ledger's token every `pollInterval` in case a
/// notification was missed (a listener reconnecting, a change made with the notification lost).
/// Reports the ledger this process serves in `gateway_processes`, so an admin change can wait until
/// every process serves it. A `Service`: it stops on graceful shutdown and removes its report.
public final class ContractWatcher: Service, Sendable {
    public let contracts: LiveContracts
    let store: ContractStore
    let processes: GatewayProcesses
    /// Where the listener connects (its own connection, not the pool's).
    let listenerConfiguration: PostgresConfiguration
    let pollInterval: Duration
    /// How often the process reports itself when nothing changes.
    let heartbeat: Duration
    /// This process in `gateway_processes`.
    public let processID: String
    private let startedAt = Date()
    private let logger: Logger

    public init(
        contracts: LiveContracts, pool: PostgresPool, listenerConfiguration: PostgresConfiguration,
        pollInterval: Duration = .seconds(1), heartbeat: Duration = .seconds(5), logger: Logger
    ) {
        self.contracts = contracts
        self.store = ContractStore(pool: pool)
        self.processes = GatewayProcesses(pool: pool)
        self.listenerConfiguration = listenerConfiguration
        self.pollInterval = pollInterval
        self.heartbeat = heartbeat
        self.processID = UUID().uuidString.lowercased()
        self.logger = logger
    }

    public func run() async throws {
        await report()
        let listener = PostgresListener(listenerConfiguration, channels: [ContractStore.channel], logger: logger)
        let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in listener.events { wake.yield() }
            }
            group.addTask { [pollInterval] in
                while (try? await Task.sleep(for: pollInterval)) != nil { wake.yield() }
            }
            var reported = ContinuousClock.now
            for await _ in wakeups.cancelOnGracefulShutdown() {
                if await refresh() || ContinuousClock.now - reported >= heartbeat {
                    await report()
                    reported = ContinuousClock.now
                }
            }
            listener.stop()
            group.cancelAll()
        }
        try? await processes.remove(process: processID)
    }

    /// Re-reads the ledger if its token moved; whether this process now serves a newer one.
    @discardableResult
    public func refresh() async -> Bool {
        do {
            guard try await store.token() != contracts.token else { return false }
            let (ledger, token) = try await store.ledger()
            guard contracts.update(ledger, token: token) else { return false }
            logger.info("contracts reloaded", metadata: ["ledger": "\(token)", "partners": "\(ledger.partnerIDs.count)"])
            return true
        } catch {
            logger.warning("contract ledger not read; serving the last one", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return false
        }
    }

    /// Reads the whole ledger now, whatever its token says (SIGHUP, `Broker.reload()`), serves it
    /// if it is newer than the one served, and reports what this process serves.
    /// - Returns: whether the process now serves a newer ledger, the token it serves and its partners.
    public func reread() async throws -> (changed: Bool, token: LedgerToken, partners: Int) {
        let (ledger, token) = try await store.ledger()
        let changed = contracts.update(ledger, token: token)
        if changed { logger.info("contracts reloaded", metadata: ["ledger": "\(token)", "partners": "\(ledger.partnerIDs.count)"]) }
        await report()
        return (changed, contracts.token, ledger.partnerIDs.count)
    }

    /// After a change committed in this process: serves it at once, then waits (up to `timeout`)
    /// until every live process does.
    public func served(after timeout: Duration = .seconds(2)) async -> GatewayProcesses.Serving? {
        await refresh()
        await report()
        return try? await processes.waitUntilServed(contracts.token, timeout: timeout)
    }

    private func report() async {
        do {
            try await processes.report(process: processID, token: contracts.token, startedAt: startedAt)
        } catch {
            logger.warning("process report not written", metadata: ["error": "\(String(reflecting: type(of: error)))"])
        }
    }
}
