import BrokerStore
import Logging
import PostgresClient
import TestSupport
import Testing

@Suite struct BrokerDatabaseTests {
    /// A second command on the same state folder (`contracts apply` beside a running `demo`)
    /// reuses the embedded server and must leave it running when it exits.
    @Test func closingAProcessThatReusedTheEmbeddedServerLeavesItRunning() async throws {
        let folder = TestPostgres.temporaryFolder()
        let logger = Logger(label: "test")
        let first = try await BrokerDatabase.open(url: nil, stateFolder: folder, poolSize: 1, migrate: false, logger: logger)
        let second = try await BrokerDatabase.open(url: nil, stateFolder: folder, poolSize: 1, migrate: false, logger: logger)
        #expect(first.embedded?.startedHere == true)
        #expect(second.embedded?.startedHere == false)
        await second.close()
        #expect(try await first.pool.query("SELECT 1")[0].decode(Int.self, at: 0) == 1)
        await first.close()
    }
}
