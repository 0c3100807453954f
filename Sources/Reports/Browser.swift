import ChildProcesses
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import Synchronization

/// One headless Chromium kept running between renders, driven through its DevTools protocol on a
/// pipe (`--remote-debugging-pipe`: it reads commands on its descriptor 3 and writes answers on 4,
/// each a JSON text ended by a NUL byte), so no port is opened that another local account could
/// reach.
///
/// It runs in a session and process group of its own, so `kill()` reaches every helper it starts.
/// It dies with the gateway: when this process ends, however it ends, the kernel closes our ends of
/// the pipe and Chromium, reading end of file, quits (`PDFRendererTests` kills a process holding
/// one with SIGKILL and sees its browser go).
///
/// Each browser keeps one page (a target of its own, scripts off, every network request blocked)
/// and prints each report there: `Page.setDocumentContent` with the HTML, then `Page.printToPDF`.
/// The page never reads a file and never touches the network; the HTML passes through the pipe only.
final class Browser: Sendable {
    let pid: pid_t
    private let connection: DevToolsConnection
    private let page: (session: String, frame: String)
    private let profile: String
    private let rendered = Mutex(0)

    private init(pid: pid_t, connection: DevToolsConnection, page: (session: String, frame: String), profile: String) {
        self.pid = pid
        self.connection = connection
        self.page = page
        self.profile = profile
    }

    /// Renders done by this browser (the warm-up not counted).
    var renders: Int { rendered.withLock { $0 } }

    /// False once its pipe has closed or its process has ended (it quit, crashed or was killed);
    /// an ended process is reaped here.
    var isAlive: Bool {
        guard connection.isOpen else { return false }
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    /// Closes our ends of its pipe and nothing else, as the kernel does when this process ends.
    func closePipe() async {
        await connection.close()
    }

    /// Starts `program` (a name looked up on `PATH`, or a path) with Chromium's arguments and a new
    /// profile folder of its own (mode 0700, removed when it is killed), opens its page and prints
    /// `warmUp` there once, so that the first report finds the fonts loaded and the printing
    /// machinery started. A browser that fails on the way, or whose task is cancelled, is killed.
    static func start(program: String, sandbox: Bool = true, warmUp: String) async throws -> Browser {
        let profile = try privateFolder()
        let pid: pid_t
        let connection: DevToolsConnection
        do {
            (pid, connection) = try await launch(
                program: program, arguments: arguments(profile: profile, sandbox: sandbox), environment: environment(profile: profile)
            )
        } catch {
            await remove(profile)
            throw error
        }
        do {
            let target = try await connection.call(
                "Target.createTarget", CreateTarget(url: "about:blank"), as: TargetCreated.self
            )
            let session = try await connection.call(
                "Target.attachToTarget", AttachToTarget(targetId: target.targetId, flatten: true), as: Attached.self
            ).sessionId
            _ = try await connection.call("Emulation.setScriptExecutionDisabled", Flag(value: true), session: session, as: Empty.self)
            _ = try await connection.call("Network.enable", Empty(), session: session, as: Empty.self)
            _ = try await connection.call("Network.setBlockedURLs", BlockedURLs(urls: ["*"]), session: session, as: Empty.self)
            let frame = try await connection.call("Page.getFrameTree", Empty(), session: session, as: FrameTree.self).frameTree.frame.id
            let browser = Browser(pid: pid, connection: connection, page: (session, frame), profile: profile)
            _ = try await browser.printPage(warmUp)
            return browser
        } catch {
            await Self.kill(pid, connection: connection, profile: profile)
            throw error
        }
    }

    /// The PDF of `html`, printed as the command-line `--print-to-pdf` prints it (the page's own
    /// `@page` size and margins, backgrounds, no header or footer of Chromium's).
    func render(_ html: String) async throws -> [UInt8] {
        let pdf = try await printPage(html)
        rendered.withLock { $0 += 1 }
        return pdf
    }

    private func printPage(_ html: String) async throws -> [UInt8] {
        _ = try await connection.call(
            "Page.setDocumentContent", DocumentContent(frameId: page.frame, html: html), session: page.session, as: Empty.self
        )
        let printed = try await connection.call(
            "Page.printToPDF", PrintToPDF(), session: page.session, as: Printed.self
        )
        guard let pdf = Data(base64Encoded: printed.data), pdf.starts(with: Array("%PDF-".utf8)) else {
            throw DevToolsConnection.Failure("Page.printToPDF returned no PDF")
        }
        return [UInt8](pdf)
    }

    /// Kills the browser and every process it started, reaps it and removes its profile.
    func kill() async {
        await Self.kill(pid, connection: connection, profile: profile)
    }

    private static func kill(_ pid: pid_t, connection: DevToolsConnection, profile: String) async {
        Glibc.kill(-pid, SIGKILL)
        await connection.close()
        // SIGKILL ends it at once, though on a loaded machine not in no time: its exit is collected
        // without blocking a thread, and waited for even by a cancelled task (a render stopped at
        // its timeout returns only once its browser is gone; `Task.sleep` would not wait there).
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        func pause() async { try? await loop.scheduleTask(in: .milliseconds(10)) {}.futureResult.get() }
        for _ in 0..<1_000 {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped == -1 && errno == ECHILD) { break }
            await pause()
        }
        // Its helpers (renderers, the GPU process: the same process group, sent the same signal)
        // may still be dying after it; one still writing or deleting files in the profile would
        // make the removal fail halfway. So the profile goes once the group is empty.
        for _ in 0..<500 where Glibc.kill(-pid, 0) == 0 { await pause() }
        await Self.remove(profile)
    }

    /// Removes a profile folder (its cache and its temporary folder: many files) on a thread of its
    /// own: under `serve` a task runs on the event loop that also reads partners' requests, which a
    /// removal inline would hold up.
    private static func remove(_ profile: String) async {
        await OwnThread.run { _ = try? FileManager.default.removeItem(atPath: profile) }
    }

    /// Headless Chromium with its DevTools protocol on the pipe: no first-run chores, no network of
    /// its own, no DNS (every host name resolves to nothing), a throwaway profile, and no JIT
    /// (`--jitless`: the page runs no script, and V8's JIT needs memory both writable and executable,
    /// which the shipped unit's `MemoryDenyWriteExecute=yes` refuses; its renderer died at start and
    /// every report ran to its timeout). As root (CI), or where `sandbox` is off (under the shipped
    /// unit, whose `NoNewPrivileges` and `RestrictNamespaces` leave Chromium's sandbox no way to
    /// start), it runs without Chromium's sandbox: the page is the broker's own HTML, with scripts
    /// off and every request blocked, and the unit's confinement holds the browser too.
    static func arguments(profile: String, sandbox: Bool = true) -> [String] {
        var arguments = [
            "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
            "--disable-crash-reporter", "--disable-breakpad", "--mute-audio", "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND", "--user-data-dir=\(profile)", "--remote-debugging-pipe",
            "--js-flags=--jitless",
        ]
        if geteuid() == 0 || !sandbox { arguments += ["--no-sandbox", "--no-zygote"] }
        return arguments + ["about:blank"]
    }

    /// Its temporary folder (`TMPDIR`), made inside its profile: Chromium makes its singleton
    /// socket's folder there (`org.chromium.Chromium.*`), which it leaves behind when it is killed,
    /// so it goes with the profile (in the shared temporary folder, one was left for every browser
    /// ever killed).
    static func environment(profile: String) throws -> [String: String] {
        let folder = profile + "/tmp"
        guard mkdir(folder, 0o700) == 0 else {
            throw DevToolsConnection.Failure("cannot make a temporary folder: \(String(cString: strerror(errno)))")
        }
        return ["TMPDIR": folder]
    }

    /// Spawns the program in a new session with the two pipes as its descriptors 3 and 4 (nothing
    /// else of ours open in it), standard input and output on /dev/null.
    private static func launch(program: String, arguments: [String], environment: [String: String]) async throws -> (pid_t, DevToolsConnection) {
        // commands: we write, it reads (3); answers: it writes (4), we read.
        let commands = try pipePair()
        let answers: (read: Int32, write: Int32)
        do {
            answers = try pipePair()
        } catch {
            close(commands.read)
            close(commands.write)
            throw error
        }
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        let pid: pid_t
        do {
            pid = try ChildProcess.spawn(
                program, arguments, searchingPath: true, environment: environment,
                descriptors: [(0, null), (1, null), (2, null), (3, commands.read), (4, answers.write)], newSession: true
            )
        } catch {
            [null, commands.read, commands.write, answers.read, answers.write].forEach { close($0) }
            throw DevToolsConnection.Failure("\(error)")
        }
        [null, commands.read, answers.write].forEach { close($0) }
        do {
            return (pid, try await DevToolsConnection(reading: answers.read, writing: commands.write))
        } catch {
            Glibc.kill(-pid, SIGKILL)
            // Reaped on a thread of its own: a blocking wait here would hold up the event loop.
            await OwnThread.run {
                var status: Int32 = 0
                _ = waitpid(pid, &status, 0)
            }
            throw error
        }
    }

    /// A pipe whose two ends are closed on exec and numbered above 4 (so that moving the child's
    /// ends to 3 and 4 never meets one of them there already). (Swift's Glibc module lacks `pipe2`;
    /// the programs this process starts otherwise close every descriptor above 2 in the child.)
    private static func pipePair() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else {
            throw DevToolsConnection.Failure("cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        let moved = ends.map { end -> Int32 in
            let high = fcntl(end, F_DUPFD_CLOEXEC, 10)
            close(end)
            return high
        }
        guard moved.allSatisfy({ $0 >= 0 }) else {
            moved.filter { $0 >= 0 }.forEach { close($0) }
            throw DevToolsConnection.Failure("cannot number a pipe: \(String(cString: strerror(errno)))")
        }
        return (moved[0], moved[1])
    }

    /// A new folder only this account may enter.
    private static func privateFolder() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/" + AbandonedProfiles.prefix + "XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw DevToolsConnection.Failure("cannot make a temporary folder: \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }

    // The DevTools commands' parameters and results that the renderer uses.
    private struct Empty: Codable {}
    private struct Flag: Encodable { let value: Bool }
    private struct CreateTarget: Encodable { let url: String }
    private struct TargetCreated: Decodable { let targetId: String }
    private struct AttachToTarget: Encodable {
        let targetId: String
        let flatten: Bool
    }
    private struct Attached: Decodable { let sessionId: String }
    private struct BlockedURLs: Encodable { let urls: [String] }
    private struct FrameTree: Decodable {
        struct Node: Decodable {
            struct Frame: Decodable { let id: String }
            let frame: Frame
        }
        let frameTree: Node
    }
    private struct DocumentContent: Encodable {
        let frameId: String
        let html: String
    }
    private struct PrintToPDF: Encodable {
        var printBackground = true
        var preferCSSPageSize = true
        var displayHeaderFooter = false
    }
    private struct Printed: Decodable { let data: String }
}

/// The DevTools protocol over a pair of pipes, on NIO's event loops: `call` sends a command with a
/// fresh id and waits for the answer with that id; events are ignored. When the pipe closes (the
/// browser quit, crashed or was killed), every call waiting and every later one fails.
final class DevToolsConnection: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        /// The browser's pipe closed: it quit, crashed or was stopped.
        var ended = false

        init(_ description: String, ended: Bool = false) {
            self.description = description
            self.ended = ended
        }
    }

    private let channel: any Channel
    private let state: Pending

    init(reading: Int32, writing: Int32) async throws {
        let state = Pending()
        do {
            channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(NULFrames()))
                        try channel.pipeline.syncOperations.addHandler(Answers(state: state))
                    }
                }
                .takingOwnershipOfDescriptors(input: reading, output: writing).get()
        } catch {
            // Not taken: they are still ours to close.
            Glibc.close(reading)
            Glibc.close(writing)
            throw error
        }
        self.state = state
    }

    var isOpen: Bool { state.isOpen && channel.isActive }

    /// Sends `method` with `params` (to `session`'s target, or the browser's) and decodes the answer's `result`.
    func call<Parameters: Encodable, Result: Decodable>(
        _ method: String, _ params: Parameters, session: String? = nil, as type: Result.Type
    ) async throws -> Result {
        let promise = channel.eventLoop.makePromise(of: Data.self)
        guard let id = state.add(promise) else {
            promise.fail(Failure("the browser's pipe is closed", ended: true))
            throw Failure("the browser's pipe is closed", ended: true)
        }
        var message = try JSONEncoder().encode(Command(id: id, method: method, params: params, sessionId: session))
        message.append(0)
        let state = state
        channel.writeAndFlush(ByteBuffer(bytes: message)).whenFailure { error in
            state.fail(id, Failure("the browser's pipe is closed (\(error))", ended: true))
        }
        // A cancelled call (its render ran past the timeout) stops waiting at once; the caller kills the browser.
        let data = try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            state.fail(id, CancellationError())
        }
        let answer = try JSONDecoder().decode(Answer<Result>.self, from: data)
        if let error = answer.error {
            throw Failure("\(method): \(error.message) (\(error.code))")
        }
        guard let result = answer.result else {
            throw Failure("\(method): an answer without a result")
        }
        return result
    }

    func close() async {
        state.closeAll(Failure("the browser was stopped", ended: true))
        try? await channel.close()
    }

    private struct Command<Parameters: Encodable>: Encodable {
        let id: Int
        let method: String
        let params: Parameters
        let sessionId: String?
    }

    private struct Answer<Result: Decodable>: Decodable {
        struct Problem: Decodable {
            let code: Int
            let message: String
        }
        let result: Result?
        let error: Problem?
    }

    /// The calls waiting for their answers, by id.
    final class Pending: Sendable {
        private let calls = Mutex((next: 1, waiting: [Int: EventLoopPromise<Data>](), open: true))

        var isOpen: Bool { calls.withLock { $0.open } }

        func add(_ promise: EventLoopPromise<Data>) -> Int? {
            calls.withLock { calls -> Int? in
                guard calls.open else { return nil }
                let id = calls.next
                calls.next += 1
                calls.waiting[id] = promise
                return id
            }
        }

        func answer(_ id: Int, _ bytes: Data) {
            calls.withLock { $0.waiting.removeValue(forKey: id) }?.succeed(bytes)
        }

        func fail(_ id: Int, _ error: any Error) {
            calls.withLock { $0.waiting.removeValue(forKey: id) }?.fail(error)
        }

        func closeAll(_ error: any Error) {
            let waiting = calls.withLock { calls in
                calls.open = false
                defer { calls.waiting = [:] }
                return Array(calls.waiting.values)
            }
            for promise in waiting { promise.fail(error) }
        }
    }

    /// Each NUL-ended message from the browser: an answer goes to its call, an event is dropped.
    private final class Answers: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let state: Pending

        init(state: Pending) {
            self.state = state
        }

        private struct Identified: Decodable { let id: Int? }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            // One copy out of the buffer, read for its id and handed to its call as it is (a PDF's
            // answer is megabytes of base64).
            let message = Data(unwrapInboundIn(data).readableBytesView)
            if let id = try? JSONDecoder().decode(Identified.self, from: message).id {
                state.answer(id, message)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.closeAll(Failure("the browser's pipe closed (it quit or crashed)", ended: true))
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            state.closeAll(Failure("the browser's pipe failed: \(error)", ended: true))
            context.close(promise: nil)
        }
    }

    /// Splits the browser's output at NUL bytes.
    private struct NULFrames: ByteToMessageDecoder {
        typealias InboundOut = ByteBuffer

        mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
            guard let end = buffer.readableBytesView.firstIndex(of: 0) else { return .needMoreData }
            let message = buffer.readSlice(length: end - buffer.readerIndex)!
            buffer.moveReaderIndex(forwardBy: 1)
            context.fireChannelRead(wrapInboundOut(message))
            return .continue
        }
    }
}
