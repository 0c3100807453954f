import Foundation
import Gateway
import PostgresClient
import Testing

/// A `--replica-url` that does not reach a standby never serves a read: a server that is not in
/// recovery (a promoted standby, or the primary itself named by mistake) and an unreachable one
/// both leave every record and consent read on the primary. (Reads from a real streaming standby,
/// its lag bound and the consent rules: `Deploy/test/run.sh`.)
@Suite struct DatabaseReadsTests {
    @Test(arguments: [
        ("not in recovery", nil as String?),
        ("unreachable", "host=/nonexistent/credit-broker-test port=1 dbname=none user=none connect_timeout=1"),
    ])
    func aReplicaThatIsNotAStandbyServesNoRead(reason: String, url: String?) async throws {
        let log = RecordedLog()
        try await TestGateway.run(configuring: { configuration, database in
            configuration.standby = .init(
                connection: url.map(PostgresConfiguration.init) ?? database, maxConnections: 2, checkInterval: .milliseconds(50)
            )
        }, logger: log.logger) { gateway in
            try await Task.sleep(for: .milliseconds(300))
            #expect(!gateway.broker.reads.readsFromStandby)
            let bank = try gateway.identity(of: TestGateway.bank)
            let body = Data(#"{"subject":"91350100M000100Y43","purpose":"credit_approval","items":["enterprise.registration"]}"#.utf8)
            #expect(try await gateway.request(.POST, "/v1/queries", identity: bank, body: body).status == 200)
            let metrics = try await gateway.metrics()
            #expect(metrics.contains(#"credit_broker_database_reads_total{server="standby"} 0"#), "\(metrics)")
            #expect(!metrics.contains(#"credit_broker_database_reads_total{server="primary"} 0"#), "\(metrics)")
            #expect(metrics.contains("credit_broker_standby_usable 0.0"))
            let warned = log.records(atLeast: .warning).map(\.message)
            #expect(warned.contains("records and consents read from the primary: the standby is \(reason)\(reason == "unreachable" ? "" : " (promoted, or not a standby)")"), "\(warned)")
        }
    }
}
