import BrokerCore
import ChildProcesses
import CoreMetrics
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Turns a report's HTML into PDF with a kept renderer, headless Chromium from Debian's package, in
/// a pool of browsers kept running between renders (`Browser`: the DevTools protocol on a pipe,
/// `Page.printToPDF`), so a report pays for its own layout and printing only, not for starting a
/// browser (about 2.8 s of the 4.6 s a report of 500 records took with one process per render).
///
/// At most `concurrency` renders run at once (later ones wait their turn, in order of arrival),
/// each on a browser of its own and within `timeout` from the moment it is asked for, waiting
/// included. A browser that runs past it is killed with every process it started (it runs in a
/// session of its own and the whole process group gets SIGKILL); one that fails, or gives no PDF,
/// is an error and is killed too. Either way the caller answers 503 and gives back what it spent,
/// and the next render on that turn starts a new browser.
///
/// As a `Service` (in the broker's `ServiceGroup`) it starts one browser per turn when it starts,
/// each warmed up with one small page, replaces a browser in the background once it has done
/// `rendersPerBrowser` renders, and kills every browser when it shuts down. Without it running
/// (`report render`, a benchmark), a turn starts its browser at its first render and keeps it for
/// the next; `close()` kills them.
///
/// Metrics (swift-metrics, through `metrics`): `credit_broker_report_renders_total` by outcome
/// (`rendered`, `failed`, `timed_out`, `busy`), `credit_broker_report_render_duration_seconds`
/// (a rendered PDF's time in its browser), `credit_broker_report_render_wait_seconds` (the wait
/// for a turn), `credit_broker_report_renders_waiting` (renders waiting for a turn now) and
/// `credit_broker_report_browsers_started_total` by reason (`warm`, `first_use`, `replace`, `after_failure`).
public final class PDFRenderer: Service, Sendable {
    public struct Configuration: Sendable {
        /// `chromium` (found on `PATH`), or the path of a program called with Chromium's arguments
        /// (`--remote-debugging-pipe … about:blank`, the DevTools protocol on descriptors 3 and 4):
        /// another build of Chromium, or a test's stand-in.
        public var program: String
        /// The most renders that run at once, and the browsers kept running.
        public var concurrency: Int
        /// How long a render may take, waiting for its turn included (and how long a browser may
        /// take to start).
        public var timeout: Duration
        /// A browser is replaced after this many renders, so that what it holds never grows without bound.
        public var rendersPerBrowser: Int
        /// Whether the service starts every browser when it starts (else each at its first render).
        public var warm: Bool
        /// Whether Chromium runs in its own sandbox (it never can as root). Off where the sandbox
        /// cannot start: under the shipped systemd unit, whose `NoNewPrivileges` forbids Chromium's
        /// setuid helper and `RestrictNamespaces` its user namespaces; the unit's confinement then
        /// holds the browser.
        public var sandbox = true

        public init(
            program: String = "chromium", concurrency: Int = 2, timeout: Duration = .seconds(30), rendersPerBrowser: Int = 200, warm: Bool = true
        ) {
            self.program = program
            self.concurrency = concurrency
            self.timeout = timeout
            self.rendersPerBrowser = rendersPerBrowser
            self.warm = warm
        }
    }

    /// Why no PDF came back.
    public enum Failure: Error, Sendable, CustomStringConvertible, Equatable {
        /// Every renderer stayed busy until the timeout.
        case busy
        /// The renderer ran past the timeout and was killed.
        case timedOut
        /// The renderer exited with a failure, or gave no PDF.
        case failed(String)
        /// The renderer could not be started.
        case unavailable(String)

        public var description: String {
            switch self {
            case .busy: "every PDF renderer stayed busy until the timeout"
            case .timedOut: "the PDF renderer ran past the timeout and was stopped"
            case .failed(let why): "the PDF renderer failed: \(why)"
            case .unavailable(let why): "the PDF renderer could not be started: \(why)"
            }
        }
    }

    public let configuration: Configuration
    private let turns: Turns
    private let browsers: BrowserSlots
    private let logger: Logger
    private let counts = Mutex((running: 0, most: 0))
    private let metrics: RendererMetrics
    /// Turns whose browser has been retired and wants replacing (read by `run()`).
    private let retired: (stream: AsyncStream<Int>, continuation: AsyncStream<Int>.Continuation)

    /// `metrics`: where the renderer's metrics go (the gateway's registry; the process-wide
    /// swift-metrics factory when nil).
    public init(_ configuration: Configuration, logger: Logger = Logger(label: "credit-broker.pdf"), metrics: (any MetricsFactory)? = nil) {
        precondition(configuration.concurrency >= 1, "a renderer pool runs at least one render at a time")
        precondition(configuration.rendersPerBrowser >= 1, "a browser renders at least once")
        self.configuration = configuration
        turns = Turns(configuration.concurrency)
        browsers = BrowserSlots(configuration.concurrency)
        self.logger = logger
        self.metrics = RendererMetrics(factory: metrics ?? MetricsSystem.factory)
        retired = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .bufferingNewest(configuration.concurrency))
    }

    /// Renders running now, and the most that ever ran at once in this process.
    public var running: (now: Int, most: Int) { counts.withLock { ($0.running, $0.most) } }

    /// The process ids of the browsers kept now (idle or rendering), by turn.
    var browserProcesses: [pid_t] {
        get async { await browsers.processes }
    }

    /// Removes the profiles that browsers of a killed gateway left (`AbandonedProfiles`), starts a
    /// browser for each turn (when `warm`), replaces the retired ones until a graceful shutdown,
    /// then kills every browser.
    public func run() async throws {
        // File system work, on a thread of its own rather than one of the tasks' few.
        let abandoned = await OwnThread.run { AbandonedProfiles.remove() }
        if abandoned > 0 {
            logger.info("removed the profiles of browsers gone without their renderer", metadata: ["profiles": "\(abandoned)"])
        }
        await withDiscardingTaskGroup { group in
            if configuration.warm {
                for turn in 0..<configuration.concurrency {
                    group.addTask { await self.replace(turn, reason: .warm) }
                }
            }
            for await turn in retired.stream.cancelOnGracefulShutdown() {
                group.addTask { await self.replace(turn, reason: .replace) }
            }
            group.cancelAll()
        }
        await close()
    }

    /// Kills every browser; later renders start new ones.
    public func close() async {
        for browser in await browsers.takeAll() {
            await browser.kill()
        }
    }

    /// The PDF of `html`, within `timeout` (the configuration's unless given).
    public func render(html: String, timeout: Duration? = nil) async throws(Failure) -> [UInt8] {
        let timeout = timeout ?? configuration.timeout
        let started = Flag()
        do {
            // A browser killed for its time is gone before its turn passes to the next (`TimeLimit`
            // waits for the render it cancels).
            let rendered = try await TimeLimit.run(timeout) {
                let asked = ContinuousClock.now
                self.metrics.waiting.increment()
                let turn: Int
                do {
                    defer { self.metrics.waiting.decrement() }
                    turn = try await self.turns.acquire()
                }
                self.metrics.record(self.metrics.wait, since: asked)
                started.set()
                do {
                    let pdf = try await self.render(html, on: turn)
                    await self.turns.release(turn)
                    return pdf
                } catch {
                    await self.turns.release(turn)
                    throw error
                }
            }
            guard let pdf = rendered else { throw started.isSet ? Failure.timedOut : Failure.busy }
            metrics.outcome(nil)
            return pdf
        } catch let failure as Failure {
            metrics.outcome(failure)
            logger.warning("PDF not rendered", metadata: ["reason": "\(failure)"])
            throw failure
        } catch {
            let failure = Failure.unavailable("\(error)")
            metrics.outcome(failure)
            logger.warning("PDF not rendered", metadata: ["reason": "\(error)"])
            throw failure
        }
    }

    /// One render on `turn`'s browser, started now if the turn has none. A kept browser found ended
    /// (it crashed or quit since its last render: its process has exited, or its pipe closes as
    /// the render begins) is replaced and the render tried once more on the new one. A browser that
    /// fails otherwise, or is cancelled at the timeout, is killed and leaves the turn without one.
    private func render(_ html: String, on turn: Int) async throws -> [UInt8] {
        counts.withLock { counts in
            counts.running += 1
            counts.most = max(counts.most, counts.running)
        }
        defer { counts.withLock { $0.running -= 1 } }
        var browser = await browsers.take(turn)
        var reason = await browsers.failedLast(turn) ? StartReason.afterFailure : .firstUse
        if let kept = browser, !kept.isAlive {
            logger.warning("PDF renderer browser ended between renders; starting another", metadata: ["pid": "\(kept.pid)"])
            await kept.kill()
            browser = nil
            reason = .afterFailure
        }
        var mayRetry = browser != nil
        while true {
            let current: Browser
            do {
                if let browser {
                    current = browser
                } else {
                    current = try await start(reason)
                }
            } catch {
                await browsers.give(turn, nil, failed: true)
                throw error
            }
            do {
                let start = ContinuousClock.now
                let pdf = try await current.render(html)
                metrics.record(metrics.duration, since: start)
                if current.renders >= configuration.rendersPerBrowser {
                    await current.kill()
                    await browsers.give(turn, nil, failed: false)
                    retired.continuation.yield(turn)
                } else if let closed = await browsers.give(turn, current, failed: false) {
                    await closed.kill()
                }
                return pdf
            } catch {
                await current.kill()
                if Task.isCancelled {
                    await browsers.give(turn, nil, failed: true)
                    throw CancellationError()
                }
                if mayRetry, let ended = error as? DevToolsConnection.Failure, ended.ended {
                    logger.warning("PDF renderer browser ended as a render began; starting another", metadata: ["pid": "\(current.pid)"])
                    mayRetry = false
                    browser = nil
                    reason = .afterFailure
                    continue
                }
                await browsers.give(turn, nil, failed: true)
                throw Failure.failed("\(configuration.program): \(error)")
            }
        }
    }

    /// Starts a browser for `turn` in the background (the service's work): when it is empty, within
    /// the timeout. A render that finds the turn starting waits for it.
    private func replace(_ turn: Int, reason: StartReason) async {
        guard await browsers.beginStarting(turn) else { return }
        var started: Browser?
        do {
            started = try await TimeLimit.run(configuration.timeout) { try await self.start(reason) }
            if started == nil { logger.warning("PDF renderer browser did not start within the timeout") }
        } catch {
            logger.warning("PDF renderer browser not started", metadata: ["reason": "\(error)"])
        }
        if let unwanted = await browsers.finishStarting(turn, started) {
            await unwanted.kill()
        }
    }

    /// A new browser, warmed up.
    private func start(_ reason: StartReason) async throws -> Browser {
        try Task.checkCancellation()
        metrics.started(reason)
        do {
            return try await Browser.start(program: configuration.program, sandbox: configuration.sandbox, warmUp: Self.warmUp)
        } catch let failure as DevToolsConnection.Failure {
            if Task.isCancelled { throw CancellationError() }
            throw failure.ended ? Failure.failed("\(configuration.program) wrote no PDF") : Failure.unavailable("\(configuration.program): \(failure)")
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw Failure.unavailable("\(configuration.program): \(error)")
        }
    }

    /// The page a new browser prints once before its first report: the report's fonts (Noto Sans
    /// CJK, its monospaced cut), a page box with a page counter, a table.
    static let warmUp = """
        <!doctype html><html><head><meta charset="utf-8"><style>
        @page { size: A4; margin: 16mm 14mm 18mm; @bottom-right { content: counter(page) " / " counter(pages); } }
        body { font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; }
        pre { font-family: "Noto Sans Mono CJK SC", monospace; }
        th { font-weight: 600; }
        </style></head><body><h1>信用报告 Credit report</h1>
        <table><thead><tr><th>日期 Date</th><th>金额 Amount</th></tr></thead><tbody><tr><td>2026-01-01</td><td>12,345.50</td></tr></tbody></table>
        <pre>0123456789 abcdef</pre></body></html>
        """
}

/// Why a browser was started (the `reason` of `credit_broker_report_browsers_started_total`).
enum StartReason: String, Sendable {
    /// By the service when it starts.
    case warm
    /// By a render on a turn without a browser.
    case firstUse = "first_use"
    /// By the service, for one retired after its renders.
    case replace
    /// By a render, for one that failed, timed out or ended.
    case afterFailure = "after_failure"
}

/// The renderer's metrics, through swift-metrics.
struct RendererMetrics: Sendable {
    let factory: any MetricsFactory
    let duration: CoreMetrics.Timer
    let wait: CoreMetrics.Timer
    let waiting: Meter

    init(factory: any MetricsFactory) {
        self.factory = factory
        duration = CoreMetrics.Timer(label: "credit_broker_report_render_duration_seconds", factory: factory)
        wait = CoreMetrics.Timer(label: "credit_broker_report_render_wait_seconds", factory: factory)
        waiting = Meter(label: "credit_broker_report_renders_waiting", factory: factory)
    }

    /// One render's outcome.
    func outcome(_ failure: PDFRenderer.Failure?) {
        let outcome = switch failure {
        case nil: "rendered"
        case .busy?: "busy"
        case .timedOut?: "timed_out"
        case .failed?, .unavailable?: "failed"
        }
        Counter(label: "credit_broker_report_renders_total", dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    func record(_ timer: CoreMetrics.Timer, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        timer.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    func started(_ reason: StartReason) {
        Counter(label: "credit_broker_report_browsers_started_total", dimensions: [("reason", reason.rawValue)], factory: factory).increment()
    }
}

/// Whether a render got its turn (shared by the render's task and the one that waits for it).
final class Flag: Sendable {
    private let value = Mutex(false)

    func set() { value.withLock { $0 = true } }

    var isSet: Bool { value.withLock { $0 } }
}

/// Each turn's browser: none, being started by the service (renders on that turn wait for it), kept
/// idle between renders, or in use.
actor BrowserSlots {
    private enum State {
        case empty
        case starting([(id: UInt64, continuation: CheckedContinuation<Browser?, Never>)])
        case idle(Browser)
        case inUse(Browser?)
    }

    private var states: [State]
    private var nextID: UInt64 = 0
    /// Turns whose last render failed (the next start is `after_failure`).
    private var failed: Set<Int> = []

    init(_ count: Int) {
        states = Array(repeating: .empty, count: count)
    }

    var processes: [pid_t] {
        states.compactMap { state in
            switch state {
            case .idle(let browser), .inUse(let browser?): browser.pid
            default: nil
            }
        }
    }

    /// The turn's browser for a render: the idle one, or the one the service is starting (once it
    /// has), or nil: the render starts its own.
    func take(_ turn: Int) async -> Browser? {
        switch states[turn] {
        case .idle(let browser):
            states[turn] = .inUse(browser)
            return browser
        case .starting:
            // `finishStarting` hands the browser over (the turn is then in use); a render cancelled
            // meanwhile stops waiting and leaves the turn starting.
            let id = nextID
            nextID += 1
            return await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    guard case .starting(var waiting) = states[turn], !Task.isCancelled else {
                        continuation.resume(returning: nil)
                        return
                    }
                    waiting.append((id, continuation))
                    states[turn] = .starting(waiting)
                }
            } onCancel: {
                Task { await self.stopWaiting(turn, id) }
            }
        case .empty, .inUse:
            states[turn] = .inUse(nil)
            return nil
        }
    }

    private func stopWaiting(_ turn: Int, _ id: UInt64) {
        guard case .starting(var waiting) = states[turn], let index = waiting.firstIndex(where: { $0.id == id }) else { return }
        let continuation = waiting.remove(at: index).continuation
        states[turn] = .starting(waiting)
        continuation.resume(returning: nil)
    }

    /// Whether the turn's last render failed.
    func failedLast(_ turn: Int) -> Bool { failed.contains(turn) }

    /// A render gives its turn's browser back (nil: it was killed). Returns a browser to kill when
    /// the pool was closed meanwhile.
    @discardableResult
    func give(_ turn: Int, _ browser: Browser?, failed: Bool) -> Browser? {
        if failed { self.failed.insert(turn) } else { self.failed.remove(turn) }
        guard case .inUse = states[turn] else { return browser }
        states[turn] = browser.map { .idle($0) } ?? .empty
        return nil
    }

    /// The service may start the turn's browser if it has none.
    func beginStarting(_ turn: Int) -> Bool {
        guard case .empty = states[turn] else { return false }
        states[turn] = .starting([])
        return true
    }

    /// The service's start ended: the browser (nil if it did not start) goes to the first render
    /// waiting for it, else stays idle. Returns it when nobody may have it (the pool was closed).
    func finishStarting(_ turn: Int, _ browser: Browser?) -> Browser? {
        guard case .starting(let waiting) = states[turn] else { return browser }
        if let first = waiting.first {
            // The first render takes it (nil: it starts its own); any others wait in the turn queue,
            // which lets one render at a time onto a turn.
            states[turn] = .inUse(browser)
            first.continuation.resume(returning: browser)
            for other in waiting.dropFirst() { other.continuation.resume(returning: nil) }
        } else {
            states[turn] = browser.map { .idle($0) } ?? .empty
        }
        return nil
    }

    /// Every idle browser, to kill; the turns are left empty.
    func takeAll() -> [Browser] {
        var taken: [Browser] = []
        for turn in states.indices {
            if case .idle(let browser) = states[turn] {
                taken.append(browser)
                states[turn] = .empty
            }
        }
        return taken
    }
}
