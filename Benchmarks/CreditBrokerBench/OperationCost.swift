import Foundation

/// The CPU one operation of a measurement cost each program on the machine (the cores it used
/// divided by the operations per second), in milliseconds.
struct OperationCost {
    /// Each program's label (`gateway`, `PostgreSQL`, …) and milliseconds, in a fixed order.
    let parts: [(label: String, milliseconds: Double)]

    /// - Parameter programs: command names (as `ProcessCPU` reads them) and their labels, in print order.
    init(cores: [String: Double], rate: Double, programs: KeyValuePairs<String, String>) {
        parts = programs.map { ($0.value, (cores[$0.key] ?? 0) / max(rate, 1) * 1_000) }
    }

    private init(parts: [(label: String, milliseconds: Double)]) {
        self.parts = parts
    }

    /// The milliseconds of the program labelled `label` (0 if it has none).
    subscript(label: String) -> Double {
        parts.first { $0.label == label }?.milliseconds ?? 0
    }

    var total: Double { parts.reduce(0) { $0 + $1.milliseconds } }

    /// `0.63 ms (gateway 0.44, PostgreSQL 0.16, wrk 0.03)`.
    var summary: String {
        String(format: "%.3f ms (", total) + parts.map { String(format: "%@ %.3f", $0.label, $0.milliseconds) }.joined(separator: ", ") + ")"
    }

    /// Each part's median over `costs` (measurements of the same programs).
    static func median(_ costs: [OperationCost]) -> OperationCost {
        guard let first = costs.first else { return OperationCost(parts: []) }
        return OperationCost(parts: first.parts.indices.map { index in
            (first.parts[index].label, BenchmarkTimer.median(costs.map { $0.parts[index].milliseconds }))
        })
    }
}
