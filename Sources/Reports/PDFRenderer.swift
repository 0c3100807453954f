import Foundation
import Logging
import Subprocess
import Synchronization
import SystemPackage

/// Turns a report's HTML into PDF with a kept renderer, headless Chromium from Debian's package,
/// run as a subprocess: at most `concurrency` at once (later renders wait their turn), each within
/// `timeout` from the moment it is asked for, waiting included. A renderer that runs past it is
/// killed with every process it started (it runs in a session of its own, and the whole process
/// group gets SIGKILL); one that fails, or writes no PDF, is an error. Either way the caller answers
/// 503 and gives back what it spent.
///
/// The HTML and the PDF pass through a folder of their own (mode 0700, removed after each render)
/// in the system's temporary folder: they hold masked personal data and are no one else's to read.
public final class PDFRenderer: Sendable {
    public struct Configuration: Sendable {
        /// `chromium` (found on `PATH`), or the path of a program called with Chromium's arguments
        /// (`--print-to-pdf=OUT … file://IN`): another build of Chromium, or a test's stand-in.
        public var program: String
        /// The most renders that run at once.
        public var concurrency: Int
        /// How long a render may take, waiting for its turn included.
        public var timeout: Duration

        public init(program: String = "chromium", concurrency: Int = 2, timeout: Duration = .seconds(30)) {
            self.program = program
            self.concurrency = concurrency
            self.timeout = timeout
        }
    }

    /// Why no PDF came back.
    public enum Failure: Error, Sendable, CustomStringConvertible, Equatable {
        /// Every renderer stayed busy until the timeout.
        case busy
        /// The renderer ran past the timeout and was killed.
        case timedOut
        /// The renderer exited with a failure, or wrote no PDF.
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
    private let slots: RenderSlots
    private let logger: Logger
    private let counts = Mutex((running: 0, most: 0))

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "credit-broker.pdf")) {
        precondition(configuration.concurrency >= 1, "a renderer pool runs at least one render at a time")
        self.configuration = configuration
        slots = RenderSlots(configuration.concurrency)
        self.logger = logger
    }

    /// Renders running now, and the most that ever ran at once in this process.
    public var running: (now: Int, most: Int) { counts.withLock { ($0.running, $0.most) } }

    /// The PDF of `html`, within `timeout` (the configuration's unless given).
    public func render(html: String, timeout: Duration? = nil) async throws(Failure) -> [UInt8] {
        let timeout = timeout ?? configuration.timeout
        let started = Flag()
        do {
            return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                group.addTask {
                    try await self.slots.acquire()
                    started.set()
                    defer { Task { await self.slots.release() } }
                    return try await self.run(html)
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                // The first to finish decides; leaving the group cancels the other and waits for it,
                // so a renderer killed for its time is gone before its turn passes to the next.
                defer { group.cancelAll() }
                guard let first = try await group.next(), let pdf = first else {
                    throw started.isSet ? Failure.timedOut : Failure.busy
                }
                return pdf
            }
        } catch let failure as Failure {
            logger.warning("PDF not rendered", metadata: ["reason": "\(failure)"])
            throw failure
        } catch {
            logger.warning("PDF not rendered", metadata: ["reason": "\(error)"])
            throw .unavailable("\(error)")
        }
    }

    /// One render in a private folder: the HTML in, Chromium's PDF out.
    private func run(_ html: String) async throws -> [UInt8] {
        counts.withLock { counts in
            counts.running += 1
            counts.most = max(counts.most, counts.running)
        }
        defer { counts.withLock { $0.running -= 1 } }
        let folder = try Self.privateFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let input = folder + "/report.html"
        let output = folder + "/report.pdf"
        guard FileManager.default.createFile(atPath: input, contents: Data(html.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw Failure.unavailable("cannot write the report's HTML to a temporary folder")
        }
        var options = PlatformOptions()
        // Its own session and process group, so that a kill reaches the helpers it starts.
        options.createSession = true
        options.teardownSequence = [.send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .seconds(2))]
        let executable: Executable = configuration.program.contains("/") ? .path(FilePath(configuration.program)) : .name(configuration.program)
        let status: TerminationStatus
        do {
            status = try await Subprocess.run(
                executable, arguments: Arguments(Self.chromiumArguments(input: input, output: output, profile: folder + "/profile")),
                platformOptions: options, output: .discarded, error: .discarded
            ).terminationStatus
        } catch let error as SubprocessError {
            if Task.isCancelled { throw CancellationError() }
            throw Failure.unavailable("\(configuration.program): \(error)")
        }
        guard case .exited(0) = status else {
            throw Failure.failed("\(configuration.program) ended with \(status)")
        }
        guard let pdf = FileManager.default.contents(atPath: output), pdf.starts(with: Array("%PDF-".utf8)) else {
            throw Failure.failed("\(configuration.program) wrote no PDF")
        }
        return [UInt8](pdf)
    }

    /// Headless Chromium printing one local file to PDF: no first-run chores, no network of its own,
    /// a throwaway profile, no header or footer of its own (the report's style sheet numbers the
    /// pages). As root (CI) Chromium's sandbox cannot start, so it runs without it: the page is the
    /// broker's own HTML, with no script and nothing to fetch.
    static func chromiumArguments(input: String, output: String, profile: String) -> [String] {
        var arguments = [
            "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
            "--disable-crash-reporter", "--disable-breakpad", "--mute-audio", "--hide-scrollbars",
            "--user-data-dir=\(profile)", "--no-pdf-header-footer", "--print-to-pdf=\(output)",
        ]
        if geteuid() == 0 { arguments += ["--no-sandbox", "--no-zygote"] }
        return arguments + ["file://\(input)"]
    }

    /// A new folder only this account may enter.
    private static func privateFolder() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/credit-broker-report.XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw Failure.unavailable("cannot make a temporary folder: \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }
}

/// Whether a render got its turn (shared by the render's task and the one that waits for it).
final class Flag: Sendable {
    private let value = Mutex(false)

    func set() { value.withLock { $0 = true } }

    var isSet: Bool { value.withLock { $0 } }
}

/// The renderer pool's turns: `acquire` waits while every turn is taken, in order of arrival, and
/// gives up when its task is cancelled.
actor RenderSlots {
    private var free: Int
    private var waiting: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextID: UInt64 = 0

    init(_ count: Int) {
        free = count
    }

    func acquire() async throws {
        if free > 0 {
            free -= 1
            return
        }
        let id = nextID
        nextID += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiting.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    /// Passes the turn to the first waiting, or frees it.
    func release() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().continuation.resume()
        }
    }

    private func cancel(_ id: UInt64) {
        guard let index = waiting.firstIndex(where: { $0.id == id }) else { return }
        waiting.remove(at: index).continuation.resume(throwing: CancellationError())
    }
}
