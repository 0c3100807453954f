import BrokerStore
import Foundation
@testable import Reports
import Testing

/// The PDF renderer pool: the real renderer (Debian's headless Chromium) prints the report; a
/// renderer that hangs is killed at its timeout with every process it started; one that fails or
/// writes no PDF is an error; the pool never runs more renders at once than configured.
@Suite(.serialized) struct PDFRendererTests {
    /// A folder of the test's own.
    static func folder() throws -> String {
        let path = NSTemporaryDirectory() + "/report-renderer-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A stand-in renderer: a shell script called with Chromium's arguments.
    static func program(_ body: String, in folder: String, name: String = "renderer") throws -> String {
        let path = folder + "/" + name
        try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    static func html(_ text: String) -> String {
        ReportPageTests.page.html(ReportPageTests.document(violation: text), language: .zh)
    }

    @Test func chromiumPrintsTheReportWithItsChineseText() async throws {
        let renderer = PDFRenderer(.init(concurrency: 1, timeout: .seconds(120)))
        let pdf = try await renderer.render(html: Self.html("虚假宣传"))
        #expect(pdf.starts(with: Array("%PDF-".utf8)))
        let folder = try Self.folder()
        try Data(pdf).write(to: URL(filePath: folder + "/report.pdf"))
        let text = try Self.pdftotext(folder + "/report.pdf")
        for expected in ["企业信用报告", "南京示例科技有限公司", "罚-PEN-7", "12,345.50", "虚假宣传", "req-1"] {
            #expect(text.contains(expected), "\(expected) in \(text.prefix(2_000))")
        }
    }

    /// A renderer that never finishes, and a helper it started, are killed at the timeout.
    @Test func aHangingRendererIsKilledWithItsHelpersAtTheTimeout() async throws {
        let folder = try Self.folder()
        let program = try Self.program("sleep 300 &\necho $! > \(folder)/helper.pid\necho $$ > \(folder)/main.pid\nwait", in: folder)
        let renderer = PDFRenderer(.init(program: program, concurrency: 1, timeout: .seconds(2)))
        let started = ContinuousClock.now
        await #expect(throws: PDFRenderer.Failure.timedOut) { try await renderer.render(html: Self.html("x")) }
        #expect(ContinuousClock.now - started < .seconds(10))
        for file in ["main.pid", "helper.pid"] {
            let pid = try #require(Int32(String(contentsOfFile: folder + "/" + file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(Self.alive(pid) == false, "\(file) \(pid) still runs")
        }
        #expect(renderer.running.now == 0)
    }

    @Test func aFailingRendererOrOneWithoutAPDFIsAnError() async throws {
        let folder = try Self.folder()
        let failing = PDFRenderer(.init(program: try Self.program("exit 3", in: folder, name: "failing"), timeout: .seconds(20)))
        await #expect(throws: PDFRenderer.Failure.self) { try await failing.render(html: "<p>x</p>") }
        let silent = PDFRenderer(.init(program: try Self.program("exit 0", in: folder, name: "silent"), timeout: .seconds(20)))
        await #expect(throws: PDFRenderer.Failure.failed("\(folder)/silent wrote no PDF")) { try await silent.render(html: "<p>x</p>") }
        let missing = PDFRenderer(.init(program: folder + "/no-such-program", timeout: .seconds(20)))
        await #expect(throws: PDFRenderer.Failure.self) { try await missing.render(html: "<p>x</p>") }
    }

    /// With the one renderer busy past the next render's timeout, that render's turn never comes:
    /// busy, not a hang.
    @Test func aRenderThatNeverGetsItsTurnIsBusy() async throws {
        let folder = try Self.folder()
        let renderer = PDFRenderer(.init(program: try Self.program("sleep 300", in: folder), concurrency: 1, timeout: .seconds(1)))
        let first = Task { () -> PDFRenderer.Failure? in
            do {
                _ = try await renderer.render(html: "a", timeout: .seconds(4))
                return nil
            } catch let failure as PDFRenderer.Failure {
                return failure
            } catch {
                return nil
            }
        }
        try await Task.sleep(for: .milliseconds(500))
        var second: PDFRenderer.Failure?
        do {
            _ = try await renderer.render(html: "b")
        } catch {
            second = error
        }
        #expect(await first.value == PDFRenderer.Failure.timedOut)
        #expect(second == .busy)
    }

    /// Eight renders asked for at once through a pool of two, each by the real Chromium behind a
    /// wrapper that logs when it starts and ends: never more than two run at once, and two do.
    @Test func thePoolNeverRunsMoreRendersAtOnceThanConfigured() async throws {
        let folder = try Self.folder()
        let log = folder + "/runs.log"
        let wrapper = try Self.program("""
            echo "start $(date +%s%N)" >> \(log)
            /usr/bin/chromium "$@" >/dev/null 2>&1
            status=$?
            echo "end $(date +%s%N)" >> \(log)
            exit $status
            """, in: folder)
        let renderer = PDFRenderer(.init(program: wrapper, concurrency: 2, timeout: .seconds(300)))
        let html = Self.html("x")
        let pdfs = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<8 { group.addTask { try await renderer.render(html: html) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(pdfs.count == 8 && pdfs.allSatisfy { $0.starts(with: Array("%PDF-".utf8)) })
        let events = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").compactMap { line -> (Int, Int)? in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let time = Int(parts[1]) else { return nil }
            return (time, parts[0] == "start" ? 1 : -1)
        }
        #expect(events.count == 16)
        // Ends before starts at the same instant, so a turn handed over is not counted twice.
        var running = 0
        var most = 0
        for (_, change) in events.sorted(by: { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }) {
            running += change
            most = max(most, running)
        }
        #expect(most == 2, "at most two renders at once, and two did run together: \(most)")
        #expect(renderer.running.most == 2 && renderer.running.now == 0)
    }

    static func alive(_ pid: Int32) -> Bool {
        // A zombie still answers kill(0); its state in /proc says it is dead.
        guard kill(pid, 0) == 0 else { return false }
        let status = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !status.contains(") Z ")
    }

    static func pdftotext(_ path: String) throws -> String {
        try ChildProcess.run("/usr/bin/pdftotext", [path, "-"])
    }
}
