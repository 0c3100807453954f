import BrokerCore
import Metering
import Prometheus
import Synchronization

/// The broker's Prometheus metrics, served as text on `GET /metrics`: requests and their latency by
/// route and status, item decisions by outcome, quota use per partner, meter batches (size, commit
/// latency, failures), authentication outcomes of both listeners (refused handshakes included),
/// where record and consent reads went (standby or primary), and the reports' PDF renderer pool
/// (renders by outcome, their time, the wait for a turn, browsers started: `PDFRenderer`).
///
/// One registry per gateway (not the process-wide swift-metrics bootstrap), so that several gateways
/// in one process, as in the tests, keep separate counts.
public final class GatewayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// Handshake refusals and authentication outcomes on the partner listener.
    public let authentication: AuthenticationCounters
    /// Handshake refusals and accepted certificates on the admin listener.
    public let adminAuthentication: AuthenticationCounters
    /// Where the reports' PDF renderer pool records its metrics (swift-metrics, into this registry).
    public let reportRenderer: PrometheusMetricsFactory

    private static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]

    private let meterBatchSize: ValueHistogram
    private let meterCommit: DurationHistogram
    private let meterFailedEvents: Counter
    private let standbyReads: Counter
    private let primaryReads: Counter
    private let standbyUsable: Gauge
    /// The request counter and latency histogram of each route and status met so far, so that a
    /// request does not build a descriptor and look its series up in the registry.
    private let requestSeries = Mutex<[RequestSeries: (count: Counter, duration: DurationHistogram)]>([:])
    /// The item decisions counter of each outcome met so far, and the quota gauges of each partner
    /// (a partner of the contracts: a bounded set), for the same reason (`made(for:_:)`).
    private let decisionSeries = Mutex<[String: Counter]>([:])
    private let quotaSeries = Mutex<[String: (day: Gauge, month: Gauge)]>([:])
    /// The leased-units gauge of each partner that has had a lease in this process.
    private let leaseSeries = Mutex<[String: Gauge]>([:])

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        authentication = AuthenticationCounters(listener: .partner, registry: registry)
        adminAuthentication = AuthenticationCounters(listener: .admin, registry: registry)
        var renderer = PrometheusMetricsFactory(registry: registry)
        renderer.defaultDurationHistogramBuckets = [
            .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2),
            .seconds(5), .seconds(10), .seconds(30),
        ]
        reportRenderer = renderer
        meterBatchSize = registry.makeValueHistogram(
            descriptor: Self.name("meter_batch", "size", "Meter events per group-commit transaction."),
            buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000]
        )
        meterCommit = registry.makeDurationHistogram(
            descriptor: Self.name("meter_commit", "seconds", "Time to write and commit one batch of meter events."),
            buckets: Self.latencyBuckets
        )
        meterFailedEvents = registry.makeCounter(
            descriptor: Self.name("meter_failed_events", "total", "Meter events whose batch failed (their answers were withheld).")
        )
        let reads = Self.name("database_reads", "total", "Record and consent reads, by the server that answered them (standby or primary).")
        standbyReads = registry.makeCounter(descriptor: reads, labels: [("server", "standby")])
        primaryReads = registry.makeCounter(descriptor: reads, labels: [("server", "primary")])
        standbyUsable = registry.makeGauge(descriptor: Self.name(
            "standby", "usable", "1 while reads go to the standby (reachable, in recovery, within the lag bound), else 0."
        ))
    }

    /// One record or consent read, answered by the standby or the primary.
    func databaseRead(onStandby: Bool) {
        (onStandby ? standbyReads : primaryReads).increment()
    }

    /// Whether reads go to the standby now.
    func standby(usable: Bool) {
        standbyUsable.set(usable ? 1.0 : 0.0)
    }

    /// A connection the partner listener closed at accept (`reason`: `banned`, its address refused for abuse).
    func connectionRefused(reason: String) {
        registry.makeCounter(
            descriptor: Self.name("connections_refused", "total", "Connections closed at accept, before TLS, by reason."),
            labels: [("reason", reason)]
        ).increment()
    }

    /// A connection or request refused as hostile, a strike against its address (`kind`: rapid_reset,
    /// too_many_streams, glitches, … from swift-nio-http2; not_tls, header_too_large, malformed_http, deep_json).
    func connectionAbusive(kind: String) {
        registry.makeCounter(
            descriptor: Self.name(
                "connections_abusive", "total",
                "Connections or requests refused as hostile (each a strike against the client's address), by kind of abuse."
            ),
            labels: [("kind", kind)]
        ).increment()
    }

    /// One answered request of the partner listener (`RequestMetricsMiddleware`).
    func request(route: String, status: Int, latency: Duration) {
        let series = requestSeries.made(for: RequestSeries(route: route, status: status)) {
            (
                count: registry.makeCounter(
                    descriptor: Self.name(
                        "requests", "total", "Requests the partner listener answered (public routes and refusals included), by route and HTTP status."
                    ),
                    labels: [("route", route), ("status", String(status))]
                ),
                duration: registry.makeDurationHistogram(
                    descriptor: Self.name("request_duration", "seconds", "Partner listener request latency, metering included."),
                    labels: [("route", route)], buckets: Self.latencyBuckets
                )
            )
        }
        series.count.increment()
        series.duration.record(latency)
    }

    /// A route (as the router names it, or `unmatched`) and a status: a bounded set of series.
    private struct RequestSeries: Hashable {
        let route: String
        let status: Int
    }

    /// The item decisions of one answer: disclosed items and withheld ones by reason.
    func decisions(disclosed: Int, withheld: [MeterEvent.Withheld]) {
        if disclosed > 0 { decisionCounter("disclosed").increment(by: Int64(disclosed)) }
        for item in withheld { decisionCounter(item.reason.rawValue).increment() }
    }

    /// The item decisions counter of `outcome` (a bounded set: `disclosed` and the withholding reasons).
    private func decisionCounter(_ outcome: String) -> Counter {
        decisionSeries.made(for: outcome) {
            registry.makeCounter(
                descriptor: Self.name("item_decisions", "total", "Item decisions, by outcome (disclosed or the withholding reason)."),
                labels: [("outcome", outcome)]
            )
        }
    }

    /// A partner's quota use after a reservation.
    func quota(partner: String, used: QuotaUsage) {
        let gauges = quotaSeries.made(for: partner) {
            let name = Self.name("quota_used", "units", "Quota units used by a partner in the current period (China time).")
            return (
                day: registry.makeGauge(descriptor: name, labels: [("partner", partner), ("period", "day")]),
                month: registry.makeGauge(descriptor: name, labels: [("partner", partner), ("period", "month")])
            )
        }
        gauges.day.set(Double(used.today))
        gauges.month.set(Double(used.thisMonth))
    }

    /// The quota units this process holds leased ahead and has not handed to a request yet, by
    /// partner (`QuotaCoalescer.leasedUnitsByPartner`, read at each scrape): a partner that had a
    /// lease before and has none now reads 0.
    func quotaLeased(_ byPartner: [String: Int]) {
        leaseSeries.withLock { gauges in
            for partner in byPartner.keys where gauges[partner] == nil {
                gauges[partner] = registry.makeGauge(
                    descriptor: Self.name(
                        "quota_leased", "units",
                        "Quota units this gateway process leased ahead and has not handed to a request yet (counted in the partner's quota; given back when idle, at a new period or limits, and at shutdown)."
                    ),
                    labels: [("partner", partner)]
                )
            }
            for (partner, gauge) in gauges { gauge.set(Double(byPartner[partner] ?? 0)) }
        }
    }

    /// One meter batch transaction (give this to `MeterWriter`'s `onBatch`).
    public func meterBatch(_ report: MeterWriter.BatchReport) {
        meterBatchSize.record(Double(report.size))
        meterCommit.record(report.duration)
        if !report.committed { meterFailedEvents.increment(by: Int64(report.size)) }
    }

    /// `credit_broker_<metric>_<unit>`.
    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "credit_broker", metricName: metric, unitName: unit, helpText: help)
    }

    /// The disputes gauges, read from the database at each scrape (every process reports the same
    /// figures: take one, not the sum).
    static func disputeLines(open: Int, overdue: Int) -> String {
        """
        # HELP credit_broker_disputes_open Disputes filed through the credit portal and not yet answered.
        # TYPE credit_broker_disputes_open gauge
        credit_broker_disputes_open \(open)
        # HELP credit_broker_disputes_overdue Open disputes past their deadline (20 calendar days after filing, China time).
        # TYPE credit_broker_disputes_overdue gauge
        credit_broker_disputes_overdue \(overdue)

        """
    }

    /// The exposition text.
    func text() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}

extension Mutex {
    /// The series made for `key` so far, or made now by `make` and kept: a metric's series is
    /// looked up in the registry once (a descriptor built, its labels hashed), not on every request.
    fileprivate borrowing func made<Key: Hashable & Sendable, Series: Sendable>(for key: Key, _ make: () -> Series) -> Series where Value == [Key: Series] {
        withLock { made in
            if let found = made[key] { return found }
            let series = make()
            made[key] = series
            return series
        }
    }
}
