import Foundation

/// Times repeated runs of a body and reports the median.
enum BenchmarkTimer {
    /// The median wall-clock seconds of `runs` runs of `body`.
    static func medianSeconds(runs: Int, _ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        var seconds: [Double] = []
        for _ in 0..<runs {
            let elapsed = try clock.measure(body)
            seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        return median(seconds)
    }

    /// The median of some measurements.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let count = sorted.count
        return count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2
    }

    /// The 1-minute load average, as `uptime` shows it first.
    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
    }
}
