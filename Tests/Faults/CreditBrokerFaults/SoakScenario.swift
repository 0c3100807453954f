import ArgumentParser
import Foundation

/// Scenario 7: the soak.
struct SoakScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Measure the gateway's maximum, then run at half of it for --minutes, sampling RSS, open descriptors and p99; plot them to an SVG.",
        discussion: """
            The maximum is the rate of --connections closed-loop clients over 10 s (the mixed partners of the kill \
            scenario). The soak paces the same clients to half of it. After the first sample (warm-up), resident memory \
            may grow 10 % at most and open descriptors may not end above the most of the soak's first half; every \
            200 must have its meter event.
            """
    )

    @OptionGroup var topology: TopologyOptions
    @Option(help: "Minutes of soak.") var minutes = 30.0
    @Option(help: "Seconds between samples.") var sample = 60.0
    @Option(help: "Closed-loop clients for the maximum, and paced clients for the soak.") var connections = 32
    @Option(help: "Where to write the SVG plot.") var svg = "Tests/Faults/soak.svg"
    @Option(help: "Most growth of resident memory after warm-up, percent.") var rssGrowth = 10.0

    struct Sample {
        var minute: Double
        var rssMB: Double
        var descriptors: Int
        var p99: Double
        var rate: Double
    }

    func run() async throws {
        try await Topology.run(topology, name: "soak", scenario)
    }

    private func scenario(_ world: Topology) async throws -> (figure: String, passed: Bool) {
        let gateway = try await world.startGateway()
        let (partners, clients) = try world.mixedClients(connections: connections)
        let organisations = world.organisations
        let record = ClientRecord()
        @Sendable func plan(_ worker: Int) -> PlannedRequest {
            let partner = partners[worker % partners.count]
            return PlannedRequest(partner: partner, body: Bodies.query(partner: partner, subject: organisations.randomElement()!))
        }

        // The maximum: closed loop.
        let counted = Locked(0)
        let closed = Load(clients: clients, ports: [gateway.port])
        closed.start(workers: connections) { worker, _ in plan(worker) } record: { _, request, answer in
            record.note(request, answer)
            if answer.status == 200 { counted.withLock { $0 += 1 } }
        }
        try await Task.sleep(for: .seconds(3))
        let startCount = counted.value
        try await Task.sleep(for: .seconds(10))
        let maximum = Double(counted.value - startCount) / 10
        await closed.stop()
        let target = maximum / 2
        say(String(format: "maximum %.0f queries/s (%d clients, closed loop, load average %@); soaking at %.0f/s for %.1f min",
                   maximum, connections, loadAverage(), target, minutes))

        // The soak: each client paced to its share of the target rate.
        let interval = Double(connections) / max(target, 1)
        let window = Locked([Double]())
        let started = ContinuousClock.now
        let end = started + .seconds(minutes * 60)
        let paced = Task {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<connections {
                    group.addTask {
                        var next = ContinuousClock.now + .seconds(Double.random(in: 0..<interval))
                        while ContinuousClock.now < end {
                            try? await Task.sleep(until: next)
                            next = next + .seconds(interval)
                            let request = plan(worker)
                            let answer = await clients.send(request, port: gateway.port)
                            record.note(request, answer)
                            if answer.status == 200 { window.withLock { $0.append(answer.latency.milliseconds) } }
                        }
                    }
                }
            }
        }
        var samples: [Sample] = []
        var metrics: [String] = []
        while ContinuousClock.now < end {
            try await Task.sleep(for: .seconds(min(sample, max(0.1, (end - ContinuousClock.now).seconds))))
            let latencies = window.withLock { values in
                defer { values.removeAll() }
                return values
            }
            let (rss, descriptors) = gateway.resources()
            let point = Sample(
                minute: (ContinuousClock.now - started).seconds / 60, rssMB: Double(rss) / 1024, descriptors: descriptors,
                p99: percentile(latencies, 99), rate: Double(latencies.count) / sample
            )
            samples.append(point)
            say(String(format: "%.1f min: RSS %.1f MB, %d descriptors, p99 %.1f ms, %.0f answers/s; load average %@",
                       point.minute, point.rssMB, point.descriptors, point.p99, point.rate, loadAverage()))
        }
        await paced.value
        if let text = try? await gateway.metrics() { metrics.append(text) }
        await gateway.stop()
        await clients.shutdown()

        let verdict = try await LedgerCheck(pool: world.pool).check(record)
        let findings = try ClearTextScan.run(world, sent: [], metrics: metrics)
        try Self.plot(samples, to: svg, title: String(format: "soak at %.0f queries/s (half of %.0f), %.0f min, load average %@", target, maximum, minutes, loadAverage()))
        guard let warm = samples.first, let last = samples.last else { return ("soak: no sample", false) }
        let growth = (last.rssMB - warm.rssMB) / warm.rssMB * 100
        // Descriptors come and go with the pools' lazily opened connections: a leak is an end above
        // everything the first half saw.
        let firstHalf = samples.prefix(max(1, samples.count / 2)).map(\.descriptors).max() ?? warm.descriptors
        let descriptorGrowth = last.descriptors - firstHalf
        var failures: [String] = []
        if growth > rssGrowth { failures.append(String(format: "resident memory grew %.1f %% after warm-up", growth)) }
        if descriptorGrowth > 2 { failures.append("open descriptors ended \(descriptorGrowth) above the first half's most") }
        for line in failures { say("FAILED: \(line)") }
        for line in verdict.lost.prefix(10) { say("LOST: request \(line) answered 200 without a committed meter event") }
        let figure = String(
            format: "soak: %.1f min at %.0f/s (half of %.0f); RSS %.1f → %.1f MB (%+.1f %%), descriptors %d → %d, p99 %.1f–%.1f ms; answers with 200 %d, lost %d, quota mismatches %d, clear ID numbers %d; plot %@; load average %@",
            minutes, target, maximum, warm.rssMB, last.rssMB, growth, warm.descriptors, last.descriptors,
            samples.map(\.p99).min() ?? 0, samples.map(\.p99).max() ?? 0, record.answered.count, verdict.lost.count,
            verdict.quotaMismatches.count, findings.count, svg, loadAverage()
        )
        return (figure, failures.isEmpty && verdict.clean && findings.isEmpty)
    }

    /// Three stacked line charts (RSS, descriptors, p99) against minutes, as a standalone SVG.
    static func plot(_ samples: [Sample], to path: String, title: String) throws {
        let width = 720.0, panel = 160.0, left = 70.0, right = 20.0, top = 40.0, gap = 40.0
        let series: [(String, String, [Double])] = [
            ("resident memory (MB)", "#1f77b4", samples.map(\.rssMB)),
            ("open descriptors", "#2ca02c", samples.map { Double($0.descriptors) }),
            ("p99 latency (ms)", "#d62728", samples.map(\.p99)),
        ]
        let maxMinute = max(samples.map(\.minute).max() ?? 1, 0.1)
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(top + 3 * (panel + gap)))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="20" font-size="14">\(title)</text>

            """
        for (index, (name, colour, values)) in series.enumerated() {
            let y0 = top + Double(index) * (panel + gap)
            let high = max((values.max() ?? 1) * 1.1, 1)
            let points = zip(samples.map(\.minute), values).map { minute, value in
                String(format: "%.1f,%.1f", left + minute / maxMinute * (width - left - right), y0 + panel - value / high * panel)
            }.joined(separator: " ")
            svg += """
                <text x="\(left)" y="\(y0 - 6)">\(name)</text>
                <line x1="\(left)" y1="\(y0 + panel)" x2="\(width - right)" y2="\(y0 + panel)" stroke="#888"/>
                <line x1="\(left)" y1="\(y0)" x2="\(left)" y2="\(y0 + panel)" stroke="#888"/>
                <text x="\(left - 6)" y="\(y0 + 10)" text-anchor="end">\(String(format: "%.0f", high))</text>
                <text x="\(left - 6)" y="\(y0 + panel)" text-anchor="end">0</text>
                <text x="\(width - right)" y="\(y0 + panel + 14)" text-anchor="end">\(String(format: "%.1f min", maxMinute))</text>
                <polyline fill="none" stroke="\(colour)" stroke-width="2" points="\(points)"/>

                """
        }
        svg += "</svg>\n"
        try svg.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
