import ArgumentParser
import Foundation
import Gateway
import PostgresClient

/// `serve`'s optional streaming standby, which records and consents are read from while it is fresh.
struct StandbyOptions: ParsableArguments {
    @Option(name: .customLong("replica-url"), help: ArgumentHelp(
        """
        A streaming standby of the database, as a libpq URL or conninfo (e.g. host=db2 … target_session_attrs=standby; env \
        CREDIT_BROKER_REPLICA_URL): records and consents are read there while it has replayed the primary's commits older \
        than --replica-max-lag; quotas, metering, idempotency, audit and contracts stay on --database-url. Unset: every read \
        on the primary.
        """,
        valueName: "url"
    ))
    var replicaURL: String?

    @Option(name: .customLong("replica-max-lag"), help: ArgumentHelp(
        "Seconds of the primary's latest commits a read on the standby may miss; beyond that reads go to the primary (default 1; env CREDIT_BROKER_REPLICA_MAX_LAG).",
        valueName: "seconds"
    ))
    var replicaMaxLag: Double?

    private static var environment: [String: String] { ProcessInfo.processInfo.environment }
    private static let lags = 0.01...3_600.0

    var resolvedURL: String? {
        replicaURL ?? Self.environment["CREDIT_BROKER_REPLICA_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    func validate() throws {
        if let replicaMaxLag, !Self.lags.contains(replicaMaxLag) {
            throw ValidationError("--replica-max-lag must be from 0.01 to 3600 seconds, not \(replicaMaxLag)")
        }
        if replicaMaxLag == nil, let text = Self.environment["CREDIT_BROKER_REPLICA_MAX_LAG"], !text.isEmpty,
           Double(text).map(Self.lags.contains) != true {
            throw ValidationError("CREDIT_BROKER_REPLICA_MAX_LAG must be a number of seconds from 0.01 to 3600, not '\(text)'")
        }
    }

    /// The standby to read from, with a read pool as large as the primary's; `nil` without one.
    func standby(_ database: DatabaseOptions) throws -> DatabaseReads.Standby? {
        guard let url = resolvedURL else { return nil }
        guard database.resolvedURL != nil else {
            throw ValidationError("--replica-url (CREDIT_BROKER_REPLICA_URL) needs --database-url: the embedded PostgreSQL has no standby")
        }
        let seconds = replicaMaxLag ?? Self.environment["CREDIT_BROKER_REPLICA_MAX_LAG"].flatMap(Double.init) ?? 1
        return DatabaseReads.Standby(
            connection: PostgresConfiguration(url), maxConnections: database.resolvedPoolSize, maxLag: .milliseconds(Int64((seconds * 1000).rounded()))
        )
    }
}
