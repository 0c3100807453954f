import BrokerStore
import ChildProcesses
import Foundation
import Testing

@Suite struct ChildProcessTests {
    /// A program started while another child's output is still open in this process inherits none
    /// of that child's pipe ends, nor this process's sockets: a long-lived one (a PostgreSQL server)
    /// holding another child's pipe would keep its reader from ever seeing end of file.
    @Test func aChildInheritsNoOtherChildsPipe() async throws {
        let first = try ChildProcess.start("/bin/sh", ["-c", "sleep 0.3; echo first"])
        // The child's standard output is the write end of the pipe whose read end this process holds.
        let pipe = try #require(Self.target(ofDescriptor: 1, in: first.pid))
        #expect(pipe.hasPrefix("pipe:"))
        let second = try ChildProcess.start("/bin/sh", ["-c", "for d in /proc/$$/fd/*; do readlink $d || true; done"])
        let (status, inherited) = await second.wait()
        #expect(status == 0)
        #expect(!inherited.split(separator: "\n").contains(Substring(pipe)))
        #expect(!inherited.contains("socket:"))
        let (firstStatus, firstOutput) = await first.wait()
        #expect(firstStatus == 0 && firstOutput == "first\n")
    }

    /// Waiting for programs from tasks holds none of the threads the tasks share (one per core): more
    /// programs than cores, started from as many tasks at once and waited for there, all run at the
    /// same time (each says when it started and ended, by the system clock: the last starts before
    /// the first ends). Waits that blocked a task's thread would take turns: the tasks past the
    /// threads' number could start their programs only once the first ones had ended.
    @Test func waitsFromTasksDoNotTakeTurnsOnTheTasksThreads() async throws {
        let count = ProcessInfo.processInfo.activeProcessorCount * 2 + 2
        let spans = try await withThrowingTaskGroup(of: (start: Double, end: Double).self) { group in
            for _ in 0..<count {
                group.addTask {
                    let running = try ChildProcess.start("/bin/sh", ["-c", "date +%s.%N; sleep 5; date +%s.%N"])
                    let (status, output) = await running.wait()
                    let times = output.split(separator: "\n").compactMap { Double($0) }
                    try #require(status == 0 && times.count == 2, "\(output)")
                    return (times[0], times[1])
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let lastStart = try #require(spans.map(\.start).max()), firstEnd = try #require(spans.map(\.end).min())
        #expect(lastStart < firstEnd, "\(count) programs took turns: the last started \(lastStart - firstEnd) s after the first ended")
    }

    private static func target(ofDescriptor descriptor: Int32, in process: pid_t) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        let count = readlink("/proc/\(process)/fd/\(descriptor)", &buffer, buffer.count - 1)
        return count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }
}
