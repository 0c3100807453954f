import ChildProcesses
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a test process that did not exit (a crash, SIGKILL, a runner killed at its time limit)
/// leaves behind, found and ended by the next test process.
///
/// A test process's scratch folder (`TestScratch`) holds an owner record, its pid with its start
/// time and the boot it ran in, and its path is in the environment variable `markerVariable` of
/// every program the process starts after it made the folder, and of every program those start:
/// the gateways (`credit-broker serve`, `demo`), the shells around them, `pg_ctl` and the
/// PostgreSQL servers it daemonises, curl, the report browsers. A folder is orphaned when its owner
/// is gone: no process with that pid, or one that started at another time or in another boot, or a
/// zombie; a folder without an owner record only once it is an hour old (a test process writes its
/// record just after it made the folder; folders from before records existed have none).
///
/// For every orphaned folder of this account, the sweep sends immediate shutdown (SIGQUIT) to the
/// PostgreSQL servers running on a data folder inside it or carrying its marker (each proven: its
/// name is `postgres`, its working folder is its data folder, whose `postmaster.pid` names it; and
/// SIGKILL after 10 s), then SIGKILL to every process still carrying the folder's marker, then
/// renames the folder (`sweptPrefix`) and removes it. Every signal goes through a pidfd opened before the process was checked,
/// so a pid reused in between cannot receive it. Nothing else is signalled: a live test process's
/// folder and programs (another `swift test` running beside), another account's processes, this
/// process and its ancestors are left alone.
public enum ScratchSweep {
    /// The start of a scratch folder's name, in the temporary folder.
    public static let folderPrefix = "credit-broker-test-"
    /// The environment variable naming the scratch folder of the test process that started a program.
    public static let markerVariable = "CREDIT_BROKER_TEST_SCRATCH"
    /// The start of the name an orphaned folder is given once what it left running has ended, for
    /// its removal: a removal cut short leaves it to be removed by the next sweep, whatever its age
    /// (removing part of a folder makes it look new).
    public static let sweptPrefix = "credit-broker-swept-"
    /// The owner record's name in a scratch folder.
    public static let ownerFileName = "owner"
    /// How old a folder without an owner record must be to count as orphaned.
    public static let unclaimedAge: TimeInterval = 3600

    // MARK: Processes as /proc knows them

    /// A process, told apart from a later one given the same pid.
    public struct ProcessIdentity: Hashable, Sendable {
        public var pid: pid_t
        /// When it started: clock ticks after boot (field 22 of `/proc/<pid>/stat`).
        public var startTime: UInt64
        /// The boot it ran in (`/proc/sys/kernel/random/boot_id`): start times restart at each boot.
        public var boot: String

        public init(pid: pid_t, startTime: UInt64, boot: String) {
            self.pid = pid
            self.startTime = startTime
            self.boot = boot
        }

        /// The owner record's text: `pid`, `start` and `boot` lines.
        public var record: String {
            "pid \(pid)\nstart \(startTime)\nboot \(boot)\n"
        }

        /// Reads an owner record; nil unless it has all three lines.
        public init?(record: String) {
            var fields: [Substring: Substring] = [:]
            for line in record.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 1)
                if parts.count == 2 { fields[parts[0]] = parts[1] }
            }
            guard let pid = fields["pid"].flatMap({ pid_t($0) }), pid > 0,
                  let start = fields["start"].flatMap({ UInt64($0) }), let boot = fields["boot"], !boot.isEmpty
            else { return nil }
            self.init(pid: pid, startTime: start, boot: String(boot))
        }
    }

    /// What `/proc/<pid>/stat` says of a process now.
    public struct ProcessStatus: Sendable {
        public var identity: ProcessIdentity
        /// `R`, `S`, `D`, … ; `Z` for a zombie (ended, not yet reaped).
        public var state: Character
        public var parent: pid_t
    }

    /// The boot this process runs in.
    public static let bootID: String = contents(of: "/proc/sys/kernel/random/boot_id")
        .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""

    /// The process `pid` now, if there is one.
    public static func status(of pid: pid_t) -> ProcessStatus? {
        guard let bytes = contents(of: "/proc/\(pid)/stat") else { return nil }
        // "pid (name) state ppid …": the name may hold spaces and parentheses; the fields follow the last ")".
        let text = String(decoding: bytes, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let parent = pid_t(fields[1]), let start = UInt64(fields[19]) else { return nil }
        return ProcessStatus(identity: ProcessIdentity(pid: pid, startTime: start, boot: bootID), state: state, parent: parent)
    }

    /// Whether `identity`'s process is still running: same boot, same start time, not a zombie.
    public static func isRunning(_ identity: ProcessIdentity) -> Bool {
        guard identity.boot == bootID, let now = status(of: identity.pid) else { return false }
        return now.identity.startTime == identity.startTime && now.state != "Z" && now.state != "X"
    }

    // MARK: Decisions (pure)

    /// A scratch folder as the sweep finds it.
    public struct Folder: Sendable {
        public var path: String
        /// The account that owns it.
        public var account: uid_t
        public var modified: Date
        /// Its owner record, nil when it has none (or one that does not read).
        public var owner: ProcessIdentity?

        public init(path: String, account: uid_t, modified: Date, owner: ProcessIdentity?) {
            self.path = path
            self.account = account
            self.modified = modified
            self.owner = owner
        }
    }

    /// Whether `folder` was left by a test process that is gone: it is `account`'s, and its owner
    /// does not run (by `isRunning`), or it has no owner record and is older than `unclaimedAge`.
    public static func isOrphaned(_ folder: Folder, account: uid_t, now: Date, isRunning: (ProcessIdentity) -> Bool) -> Bool {
        guard folder.account == account else { return false }
        if let owner = folder.owner { return !isRunning(owner) }
        return now.timeIntervalSince(folder.modified) > unclaimedAge
    }

    /// The scratch folder named in an environment block (`/proc/<pid>/environ`: `NAME=value` entries
    /// each ended by a NUL), if any.
    public static func marker(inEnvironment block: [UInt8]) -> String? {
        let prefix = Array((markerVariable + "=").utf8)
        for entry in block.split(separator: 0, omittingEmptySubsequences: true) where entry.starts(with: prefix) {
            return String(decoding: entry.dropFirst(prefix.count), as: UTF8.self)
        }
        return nil
    }

    /// Whether process `pid` is a PostgreSQL server's postmaster: its name is `postgres` and the
    /// `postmaster.pid` of its working folder (the data folder) names it.
    public static func isPostmaster(_ pid: pid_t, name: String, pidFileInWorkingFolder pidFile: String?) -> Bool {
        name == "postgres" && pidFile.flatMap(postmasterPid(in:)) == pid
    }

    /// The pid on the first line of a `postmaster.pid` file's text.
    static func postmasterPid(in pidFile: String) -> pid_t? {
        pidFile.split(separator: "\n", omittingEmptySubsequences: false).first
            .flatMap { pid_t($0.trimmingCharacters(in: .whitespaces)) }
            .flatMap { $0 > 0 ? $0 : nil }
    }

    /// Whether `path` is `folder` or inside it (both absolute, without symbolic links).
    public static func isWithin(_ path: String, _ folder: String) -> Bool {
        path == folder || path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
    }

    // MARK: The sweep

    /// What a sweep did.
    public struct Outcome: Sendable {
        /// The orphaned scratch folders removed.
        public var removed: [String] = []
        /// The PostgreSQL servers (postmasters) ended.
        public var stoppedServers: [pid_t] = []
        /// The other processes killed.
        public var killed: [pid_t] = []
        /// Orphaned folders that could not be removed.
        public var failed: [String] = []

        public var isEmpty: Bool { removed.isEmpty && stoppedServers.isEmpty && killed.isEmpty && failed.isEmpty }

        /// One line for the test log: counts only.
        public var summary: String {
            "removed \(removed.count) scratch folder(s) of test processes that are gone, stopped \(stoppedServers.count) "
                + "PostgreSQL server(s) and killed \(killed.count) process(es) they had started"
                + (failed.isEmpty ? "" : "; \(failed.count) folder(s) could not be removed")
        }
    }

    /// As `sweep(in:)`, from a task: it waits for servers to stop on a thread of its own.
    public static func sweep(in parent: String) async -> Outcome {
        await OwnThread.run { sweep(in: parent) }
    }

    /// Ends what the orphaned scratch folders in `parent` (the temporary folder) left running and
    /// removes them. Waits up to 10 s for PostgreSQL servers to stop.
    @available(*, noasync, message: "it blocks one of the few threads every task shares; await the async variant")
    public static func sweep(in parent: String) -> Outcome {
        let account = geteuid()
        let now = Date()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        func path(_ name: String) -> String { URL(fileURLWithPath: parent).appendingPathComponent(name).standardizedFileURL.path }
        let orphans = names.filter { $0.hasPrefix(folderPrefix) }
            .compactMap { folder(at: path($0)) }
            .filter { isOrphaned($0, account: account, now: now, isRunning: isRunning) }
            .map(\.path)
        var outcome = Outcome()
        // What an earlier sweep had ended and renamed but not removed.
        for name in names where name.hasPrefix(sweptPrefix) {
            guard let folder = folder(at: path(name)), folder.account == account else { continue }
            remove(folder.path, as: folder.path, into: &outcome)
        }
        guard !orphans.isEmpty else { return outcome }
        let spared = Set([getpid()] + ancestors())
        let resolved = orphans.map { realPath($0) ?? $0 }

        // PostgreSQL servers first, by immediate shutdown: it ends their sessions and frees their
        // shared memory, which SIGKILL would leave behind.
        var servers: [pid_t: ProcessHandle] = [:]
        let candidates = orphans.flatMap { pidFiles(in: $0, depth: 4) }
            .compactMap { contents(of: $0).flatMap { postmasterPid(in: String(decoding: $0, as: UTF8.self)) } }
            + markedProcesses(of: Set(orphans), sparing: spared).map(\.pid)
        for pid in candidates where servers[pid] == nil && !spared.contains(pid) {
            guard let handle = ProcessHandle(pid) else { continue }
            let name = contents(of: "/proc/\(pid)/comm").map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .newlines) } ?? ""
            guard let workingFolder = link("/proc/\(pid)/cwd") else { continue }
            let pidFile = contents(of: workingFolder + "/postmaster.pid").map { String(decoding: $0, as: UTF8.self) }
            guard isPostmaster(pid, name: name, pidFileInWorkingFolder: pidFile) else { continue }
            // One found by its data folder must run on a data folder inside the orphan; one found by
            // its marker was started by the orphan's test process, wherever its data folder is.
            let marked = marker(of: pid).map(orphans.contains) ?? false
            guard marked || resolved.contains(where: { isWithin(workingFolder, $0) }) else { continue }
            if handle.send(SIGQUIT) { servers[pid] = handle }
        }
        let survivors = waitForExit(Array(servers.values), limit: .seconds(10))
        for handle in survivors { _ = handle.send(SIGKILL) }
        outcome.stoppedServers = servers.keys.sorted()

        // Then every other process the orphans' test processes started, and theirs; a shell that
        // starts another between the look and the kill is met by the next round.
        for _ in 0..<3 {
            let marked = markedProcesses(of: Set(orphans), sparing: spared)
            if marked.isEmpty { break }
            for handle in marked where handle.send(SIGKILL) { outcome.killed.append(handle.pid) }
            _ = waitForExit(marked, limit: .seconds(2))
        }

        for folder in orphans {
            let name = URL(fileURLWithPath: folder).lastPathComponent.dropFirst(folderPrefix.count)
            let swept = URL(fileURLWithPath: folder).deletingLastPathComponent().appendingPathComponent(sweptPrefix + name).path
            // Another test process sweeping at the same time may have taken it first.
            guard rename(folder, swept) == 0 else {
                if errno != ENOENT { outcome.failed.append(folder) }
                continue
            }
            remove(swept, as: folder, into: &outcome)
        }
        return outcome
    }

    private static func remove(_ path: String, as name: String, into outcome: inout Outcome) {
        do {
            try FileManager.default.removeItem(atPath: path)
            outcome.removed.append(name)
        } catch {
            if FileManager.default.fileExists(atPath: path) { outcome.failed.append(name) }
        }
    }

    /// The scratch folder at `path`: a real folder (not a link), with its owner record if any.
    static func folder(at path: String) -> Folder? {
        var facts = stat()
        guard lstat(path, &facts) == 0, (facts.st_mode & S_IFMT) == S_IFDIR else { return nil }
        let owner = contents(of: path + "/" + ownerFileName).flatMap { ProcessIdentity(record: String(decoding: $0, as: UTF8.self)) }
        let modified = Date(timeIntervalSince1970: TimeInterval(facts.st_mtim.tv_sec))
        return Folder(path: path, account: facts.st_uid, modified: modified, owner: owner)
    }

    /// The `postmaster.pid` files in `folder`, at most `depth` folders down, following no links.
    private static func pidFiles(in folder: String, depth: Int) -> [String] {
        var found: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            let path = folder + "/" + name
            var facts = stat()
            guard lstat(path, &facts) == 0 else { continue }
            if (facts.st_mode & S_IFMT) == S_IFREG, name == "postmaster.pid" {
                found.append(path)
            } else if (facts.st_mode & S_IFMT) == S_IFDIR, depth > 0 {
                found += pidFiles(in: path, depth: depth - 1)
            }
        }
        return found
    }

    /// The processes (held by pidfd) whose environment names one of `folders`.
    private static func markedProcesses(of folders: Set<String>, sparing spared: Set<pid_t>) -> [ProcessHandle] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
        return pids.filter { !spared.contains($0) }.compactMap { pid in
            // The handle first: if this pid is reused after it, the environment read is the new
            // process's, and a signal through the handle cannot reach that one.
            guard let handle = ProcessHandle(pid), let folder = marker(of: pid), folders.contains(folder) else { return nil }
            return handle
        }
    }

    /// The scratch folder named in process `pid`'s environment, as a standardised path.
    private static func marker(of pid: pid_t) -> String? {
        contents(of: "/proc/\(pid)/environ").flatMap(marker(inEnvironment:)).map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    }

    /// This process's parent, its parent, … up to the first process.
    private static func ancestors() -> [pid_t] {
        var found: [pid_t] = []
        var pid = getppid()
        while pid > 1, !found.contains(pid) {
            found.append(pid)
            guard let parent = status(of: pid)?.parent else { break }
            pid = parent
        }
        return found
    }

    /// Waits until every process in `handles` has ended or `limit` has passed; returns those still running.
    private static func waitForExit(_ handles: [ProcessHandle], limit: Duration) -> [ProcessHandle] {
        var waiting = handles
        let deadline = ContinuousClock.now + limit
        while !waiting.isEmpty, ContinuousClock.now < deadline {
            var descriptors = waiting.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
            _ = poll(&descriptors, nfds_t(descriptors.count), 100)
            // A pidfd turns readable when its process ends (a zombie has ended).
            waiting = zip(waiting, descriptors).filter { $0.1.revents & Int16(POLLIN) == 0 }.map(\.0)
        }
        return waiting
    }

    // MARK: Small system calls

    /// A file's whole contents (Foundation reads /proc's files, which report no size, to their end); nil if it cannot be read.
    static func contents(of path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }

    private static func link(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// A process held by a pidfd (Linux 5.3, glibc 2.36): a signal sent through it reaches that
    /// process or none, never a later one given its pid.
    private final class ProcessHandle {
        let pid: pid_t
        let descriptor: Int32

        init?(_ pid: pid_t) {
            guard let open = ScratchSweep.pidfdOpen else { return nil }
            let descriptor = open(pid, 0)
            guard descriptor >= 0 else { return nil }
            self.pid = pid
            self.descriptor = descriptor
        }

        deinit { close(descriptor) }

        func send(_ signal: Int32) -> Bool {
            ScratchSweep.pidfdSendSignal?(descriptor, signal, nil, 0) == 0
        }
    }

    /// glibc's `pidfd_open` and `pidfd_send_signal`, which Swift's Glibc module does not declare;
    /// without them nothing is signalled.
    private static let pidfdOpen: (@convention(c) (pid_t, UInt32) -> Int32)? = dlsym(nil, "pidfd_open").map {
        unsafeBitCast($0, to: (@convention(c) (pid_t, UInt32) -> Int32).self)
    }

    private static let pidfdSendSignal: (@convention(c) (Int32, Int32, UnsafeMutableRawPointer?, UInt32) -> Int32)? =
        dlsym(nil, "pidfd_send_signal").map {
            unsafeBitCast($0, to: (@convention(c) (Int32, Int32, UnsafeMutableRawPointer?, UInt32) -> Int32).self)
        }
}
