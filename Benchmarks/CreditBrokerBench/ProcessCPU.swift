import ArgumentParser
import BrokerStore
import ChildProcesses
import Foundation

/// CPU time used by the programs of a benchmark run, read from `/proc`: what the gateway benchmark
/// charges to each part of a measurement (the gateway, PostgreSQL, the load tool).
enum ProcessCPU {
    /// CPU seconds (user and system) used so far by the live processes whose command name is one
    /// of `names`, summed per name.
    static func seconds(of names: Set<String>) -> [String: Double] {
        var total: [String: Double] = [:]
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where entry.first?.isNumber == true {
            guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
            else { continue }
            let name = String(stat[stat.index(after: open)..<close])
            guard names.contains(name) else { continue }
            // After the parenthesised name: state is field 3, utime and stime are fields 14 and 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            total[name, default: 0] += (user + system) / ticks
        }
        return total
    }

    /// Runs the program `start` starts to its end, and measures the cores (CPU seconds per second)
    /// each of `names` used over the middle of its planned `seconds`: from one second after the
    /// start to one second before the end, so that connection set-up and tear-down are left out.
    static func cores(
        of names: Set<String>, over seconds: Int, _ start: () throws -> ChildProcess.Running
    ) throws -> (output: String, cores: [String: Double]) {
        let running = try start()
        let window = Double(max(seconds - 2, 1))
        Thread.sleep(forTimeInterval: 1)
        let before = Self.seconds(of: names)
        Thread.sleep(forTimeInterval: window)
        let after = Self.seconds(of: names)
        let (status, output) = running.wait()
        guard status == 0 else { throw ValidationError("exit status \(status): \(output.suffix(2_000))") }
        return (output, Dictionary(uniqueKeysWithValues: names.map { ($0, max(0, (after[$0] ?? 0) - (before[$0] ?? 0)) / window) }))
    }
}
