import ArgumentParser
import BrokerStore
import ChildProcesses
import Foundation

/// CPU time used by the programs of a benchmark run, read from `/proc`: what the gateway benchmark
/// charges to each part of a measurement (the gateway, PostgreSQL, the load tool).
enum ProcessCPU {
    /// The command name Linux gives a process that runs `executable` (`/proc/<pid>/stat`'s second
    /// field): the file's name, cut to 15 bytes.
    static func commandName(of executable: String) -> String {
        String(decoding: URL(filePath: executable).lastPathComponent.utf8.prefix(15), as: UTF8.self)
    }

    /// CPU seconds (user and system) used so far by the live processes whose command name is one
    /// of `names` and that descend from one of `roots` (or are one), summed per name.
    ///
    /// Only the benchmark's own processes count: the gateway and load tools it started (its
    /// descendants) and its database's server (the postmaster's tree). Another program of the same
    /// name on a shared machine (a `credit-broker` another user runs, a test's PostgreSQL) would
    /// otherwise be charged to the measurement, or, ending inside it, drive the difference negative.
    static func seconds(of names: Set<String>, under roots: Set<Int32>) -> [String: Double] {
        struct Entry { let parent: Int32; let name: String; let seconds: Double }
        var entries: [Int32: Entry] = [:]
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
            else { continue }
            // After the parenthesised name: state is field 3, the parent field 4, utime and stime fields 14 and 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let parent = Int32(fields[1]), let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            entries[pid] = Entry(parent: parent, name: String(stat[stat.index(after: open)..<close]), seconds: (user + system) / ticks)
        }
        func descends(_ pid: Int32) -> Bool {
            var current = pid
            for _ in 0..<64 {
                if roots.contains(current) { return true }
                guard let parent = entries[current]?.parent, parent > 1 else { return false }
                current = parent
            }
            return false
        }
        var total: [String: Double] = [:]
        for (pid, entry) in entries where names.contains(entry.name) && descends(pid) {
            total[entry.name, default: 0] += entry.seconds
        }
        total[stolen] = stolenSeconds(ticks: ticks)
        return total
    }

    /// The key under which `seconds(of:under:)` and `cores(of:from:to:over:)` also give the CPU time
    /// the hypervisor gave other guests while this machine's CPUs wanted to run (`steal` in
    /// `/proc/stat`): other tenants' load, which `uptime`'s load average does not show. A round in
    /// which they took a noticeable share measures the host, not the programs.
    static let stolen = "(stolen by other guests)"

    /// Steal time of all CPUs so far, in seconds (the eighth number of `/proc/stat`'s `cpu` line).
    private static func stolenSeconds(ticks: Double) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return 0 }
        let fields = line.split(separator: " ").dropFirst()
        guard fields.count >= 8, let steal = Double(fields[fields.startIndex + 7]) else { return 0 }
        return steal / ticks
    }

    /// Runs the program `start` starts to its end, and measures the cores (CPU seconds per second)
    /// each of `names` under `roots` used over the middle of its planned `seconds`: from one second after the
    /// start to one second before the end, so that connection set-up and tear-down are left out.
    static func cores(
        of names: Set<String>, under roots: Set<Int32>, over seconds: Int, _ start: () throws -> ChildProcess.Running
    ) throws -> (output: String, cores: [String: Double]) {
        let running = try start()
        let window = Double(max(seconds - 2, 1))
        Thread.sleep(forTimeInterval: 1)
        let before = Self.seconds(of: names, under: roots)
        Thread.sleep(forTimeInterval: window)
        let after = Self.seconds(of: names, under: roots)
        let (status, output) = running.wait()
        guard status == 0 else { throw ValidationError("exit status \(status): \(output.suffix(2_000))") }
        return (output, cores(of: names, from: before, to: after, over: window))
    }

    /// The cores (CPU seconds per second) each of `names` used between two readings of `seconds`
    /// taken `window` seconds apart.
    static func cores(of names: Set<String>, from before: [String: Double], to after: [String: Double], over window: Double) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: (names.union([stolen])).map { ($0, max(0, (after[$0] ?? 0) - (before[$0] ?? 0)) / window) })
    }
}
