import Foundation

/// Runs programs with `posix_spawn` and collects what they print (stdout and stderr together).
///
/// Used for the PostgreSQL server tools, by the tests to run the command line, and for the
/// reports' browsers (`spawn`, with their DevTools pipe as descriptors 3 and 4). (Foundation's
/// `Process.waitUntilExit` can hang on Linux when called off the main thread; `waitpid` cannot.)
package enum ChildProcess {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// A started program.
    package struct Running: Sendable {
        package let pid: pid_t
        let output: Int32
        let name: String
        let firstArgument: String

        /// Sends a signal (for example `SIGINT`).
        package func signal(_ signal: Int32) {
            kill(pid, signal)
        }

        /// Reads its output to the end, waits for it, and returns its exit code and output.
        @available(*, noasync, message: "it blocks one of the few threads every task shares; await the async variant")
        package func wait() -> (status: Int32, output: String) {
            let (status, output, _) = wait(killingAfter: nil)
            return (status, output)
        }

        /// Kills it (SIGKILL) and reaps it, dropping what it printed: for a test's `defer`, which
        /// cannot await. Waits only for the kernel to end it, which SIGKILL does at once.
        package func killAndReap() {
            kill(pid, SIGKILL)
            close(output)
            _ = reap()
        }

        /// As `wait()`, from a task: the wait blocks a thread of its own, not one of the few the tasks
        /// of this process share (two on two cores; a server in this process needs them to answer).
        package func wait() async -> (status: Int32, output: String) {
            await OwnThread.run { wait() }
        }

        /// As `wait(killingAfter:)`, from a task, on a thread of its own.
        package func wait(killingAfter limit: Duration?) async -> (status: Int32, output: String, killed: Bool) {
            await OwnThread.run { wait(killingAfter: limit) }
        }

        /// As `wait()`, but if it has not closed its output within `limit`, sends it SIGKILL (while
        /// it is still this process's unreaped child, so the signal cannot reach another process),
        /// stops reading and says so.
        @available(*, noasync, message: "it blocks one of the few threads every task shares; await the async variant")
        package func wait(killingAfter limit: Duration?) -> (status: Int32, output: String, killed: Bool) {
            var collected = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            let deadline = limit.map { ContinuousClock.now + $0 }
            var killed = false
            while true {
                if let deadline, !killed {
                    let left = ContinuousClock.now.duration(to: deadline)
                    let milliseconds = max(0, Int32(clamping: left.components.seconds * 1_000 + left.components.attoseconds / 1_000_000_000_000_000))
                    var ready = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
                    let polled = poll(&ready, 1, milliseconds)
                    if polled == 0 {
                        // Its output is left unread: a program it started may still hold the pipe.
                        kill(pid, SIGKILL)
                        killed = true
                        break
                    }
                    if polled < 0 { continue }
                }
                let count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
                if count > 0 {
                    collected += buffer[0..<count]
                } else if count == 0 || errno != EINTR {
                    break
                }
            }
            close(output)
            return (reap(), String(decoding: collected, as: UTF8.self), killed)
        }

        /// Waits for it to end and returns its exit code (128 + the signal's number if a signal ended it).
        private func reap() -> Int32 {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        }
    }

    /// Where a started program's standard error goes.
    package enum StandardError: Sendable {
        /// Into the output collected with its standard output.
        case merged
        /// To this process's standard error, so that the collected output is its standard output alone.
        case inherited
    }

    /// Starts `executable` with `arguments` and feeds it `input`; `environment` entries are added
    /// to this process's environment.
    package static func start(
        _ executable: String, _ arguments: [String], input: String? = nil, environment: [String: String] = [:],
        standardError: StandardError = .merged
    ) throws -> Running {
        var output: [Int32] = [0, 0]
        var stdin: [Int32] = [0, 0]
        guard pipe(&output) == 0, pipe(&stdin) == 0 else {
            throw Failure(description: "cannot create pipes: \(String(cString: strerror(errno)))")
        }
        let pid: pid_t
        do {
            // Standard error into the collected output, or left as this process's own.
            let standardErrorTarget: Int32 = standardError == .merged ? output[1] : 2
            let descriptors: [(child: Int32, parent: Int32)] = [(0, stdin[0]), (1, output[1]), (2, standardErrorTarget)]
            pid = try spawn(executable, arguments, environment: environment, descriptors: descriptors)
        } catch {
            [stdin[0], stdin[1], output[0], output[1]].forEach { close($0) }
            throw error
        }
        close(stdin[0])
        close(output[1])
        if let input {
            var bytes = Array(input.utf8)
            _ = bytes.withUnsafeMutableBytes { write(stdin[1], $0.baseAddress, $0.count) }
        }
        close(stdin[1])
        return Running(pid: pid, output: output[0], name: (executable as NSString).lastPathComponent, firstArgument: arguments.first ?? "")
    }

    /// Spawns `executable` (a path, or with `searchingPath` a name looked up on `PATH`) with
    /// `arguments`, this process's environment plus `environment`, and only the `descriptors`
    /// given, each of this process's `parent` as the child's `child`: whatever else this process
    /// has open must not live on in it (another child's pipe inherited by a server that outlives
    /// it, PostgreSQL started by pg_ctl, would keep that child's reader from ever seeing end of
    /// file). The child starts with no blocked signals and default dispositions (this process's
    /// threads block some: pgbench's -T alarm, for one, would never fire), and with `newSession`
    /// in a session and process group of its own (its process group id is its pid), so that one
    /// `kill(-pid, …)` reaches every process it starts. Returns its pid; the caller reaps it.
    package static func spawn(
        _ executable: String, _ arguments: [String], searchingPath: Bool = false, environment: [String: String] = [:],
        descriptors: [(child: Int32, parent: Int32)], newSession: Bool = false
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (child, parent) in descriptors {
            posix_spawn_file_actions_adddup2(&actions, parent, child)
        }
        _ = closeFrom(&actions, (descriptors.map(\.child).max() ?? 2) + 1)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // POSIX_SPAWN_SETSID (glibc 2.26 and later), which Swift's Glibc module does not declare.
        let setsid: Int32 = 0x80
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (newSession ? setsid : 0)))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let spawned = searchingPath
            ? posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
            : posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            throw Failure(description: "cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        return pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc
    /// module does not declare.
    private static let closeFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else {
            fatalError("this C library lacks posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or later is needed)")
        }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Runs a program to completion; throws when it exits non-zero, with what it printed.
    @discardableResult
    @available(*, noasync, message: "it blocks one of the few threads every task shares; await the async variant")
    package static func run(_ executable: String, _ arguments: [String], input: String? = nil) throws -> String {
        let running = try start(executable, arguments, input: input)
        return try running.succeeded(running.wait())
    }

    /// As `run`, from a task: the wait blocks a thread of its own (`Running.wait() async`).
    @discardableResult
    package static func run(_ executable: String, _ arguments: [String], input: String? = nil) async throws -> String {
        let running = try start(executable, arguments, input: input)
        return try running.succeeded(await running.wait())
    }
}

extension ChildProcess.Running {
    /// The output of a program that exited 0; otherwise a failure naming it, with what it printed.
    fileprivate func succeeded(_ result: (status: Int32, output: String)) throws -> String {
        guard result.status == 0 else {
            throw ChildProcess.Failure(description: "\(name) \(firstArgument) failed (exit \(result.status)): \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result.output
    }
}

/// Blocking work (waiting for a program, starting a database server) done from a task on a thread
/// of its own. A task that blocks holds one of the threads every task of the process shares, as
/// many as there are cores: two such waits on two cores stall every other task, a server in the
/// same process included, for as long as they last.
package enum OwnThread {
    package static func run<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }

    package static func run<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await run { Result(catching: work) }.get()
    }
}
