import ChildProcesses
import EmbeddedPostgres
import Foundation
import TestSupport
import Testing

/// What a test process that crashed leaves (its scratch folder, the PostgreSQL servers in it, the
/// programs it started) is ended and removed by the next one; what a running test process owns,
/// and anything not provably left by a process that is gone, is not touched.
@Suite struct ScratchSweepTests {
    typealias Identity = ScratchSweep.ProcessIdentity

    @Test func aFolderIsOrphanedOnlyWhenItIsOursAndItsOwnerIsGone() {
        let owner = Identity(pid: 4242, startTime: 1_000, boot: "boot-a")
        let now = Date()
        func orphaned(_ record: Identity?, account: uid_t = 1000, minutesOld: Double = 1) -> Bool {
            let folder = ScratchSweep.Folder(
                path: "/tmp/credit-broker-test-x", account: account, modified: now.addingTimeInterval(-minutesOld * 60), owner: record
            )
            return ScratchSweep.isOrphaned(folder, account: 1000, now: now) { $0 == owner }
        }
        #expect(!orphaned(owner))
        #expect(!orphaned(owner, minutesOld: 600), "a folder whose owner runs is never orphaned, however old")
        #expect(orphaned(Identity(pid: 4242, startTime: 1_001, boot: "boot-a")), "its pid now names a later process")
        #expect(orphaned(Identity(pid: 4243, startTime: 1_000, boot: "boot-a")))
        #expect(orphaned(Identity(pid: 4242, startTime: 1_000, boot: "boot-b")), "it ran in an earlier boot")
        #expect(!orphaned(nil, minutesOld: 59), "a folder without a record may be one just made")
        #expect(orphaned(nil, minutesOld: 61))
        #expect(!orphaned(Identity(pid: 4243, startTime: 1, boot: "boot-a"), account: 1001), "another account's")
        #expect(!orphaned(nil, account: 1001, minutesOld: 600))
    }

    @Test func theOwnerRecordReadsBackAndAnIncompleteOneDoesNot() {
        let owner = Identity(pid: 4242, startTime: 123_456, boot: "5c4f3b0e-8d1a-4d0e-9a57-2b8c1f6e0a11")
        #expect(Identity(record: owner.record) == owner)
        #expect(Identity(record: "pid 4242\nstart 123456\n") == nil)
        #expect(Identity(record: "pid x\nstart 1\nboot b\n") == nil)
        #expect(Identity(record: "pid 0\nstart 1\nboot b\n") == nil)
        #expect(Identity(record: "") == nil)
    }

    @Test func theMarkerIsReadFromAnEnvironmentBlock() {
        func block(_ entries: [String]) -> [UInt8] { entries.flatMap { Array($0.utf8) + [0] } }
        let marked = block(["PATH=/bin", "\(ScratchSweep.markerVariable)=/tmp/credit-broker-test-abc", "HOME=/root"])
        #expect(ScratchSweep.marker(inEnvironment: marked) == "/tmp/credit-broker-test-abc")
        let lookalikes = block(["X\(ScratchSweep.markerVariable)=/tmp/a", "\(ScratchSweep.markerVariable)S=/tmp/b"])
        #expect(ScratchSweep.marker(inEnvironment: lookalikes) == nil)
        #expect(ScratchSweep.marker(inEnvironment: []) == nil)
    }

    @Test func aPostmasterIsNamedPostgresAndNamedByThePidFileOfItsWorkingFolder() {
        let pidFile = "4242\n/tmp/credit-broker-test-abc/1x/data\n1733500000\n5432\n/tmp/credit-broker-test-abc/1x/run\n\n"
        #expect(ScratchSweep.isPostmaster(4242, name: "postgres", pidFileInWorkingFolder: pidFile))
        #expect(!ScratchSweep.isPostmaster(4243, name: "postgres", pidFileInWorkingFolder: pidFile), "a backend of that server")
        #expect(!ScratchSweep.isPostmaster(4242, name: "sleep", pidFileInWorkingFolder: pidFile), "a process that took the pid")
        #expect(!ScratchSweep.isPostmaster(4242, name: "postgres", pidFileInWorkingFolder: nil))
        #expect(ScratchSweep.isWithin("/tmp/a/data", "/tmp/a") && ScratchSweep.isWithin("/tmp/a", "/tmp/a"))
        #expect(!ScratchSweep.isWithin("/tmp/ab/data", "/tmp/a"))
    }

    @Test func aProcessRunsUntilItEndsAndALaterOneWithItsPidIsNotIt() async throws {
        let me = try #require(ScratchSweep.status(of: getpid())).identity
        #expect(ScratchSweep.isRunning(me))
        #expect(!ScratchSweep.isRunning(Identity(pid: me.pid, startTime: me.startTime + 1, boot: me.boot)))
        #expect(!ScratchSweep.isRunning(Identity(pid: me.pid, startTime: me.startTime, boot: "an earlier boot")))
        let ended = try ChildProcess.start("/bin/true", [])
        let identity = try #require(ScratchSweep.status(of: ended.pid)).identity
        _ = await ended.wait()
        #expect(!ScratchSweep.isRunning(identity))
    }

    /// This process's scratch folder has its owner record, and every program it starts (and what
    /// those start) carries the folder's path: what lets the next test process find them.
    @Test func programsThisProcessStartsCarryItsScratchFolder() async throws {
        #expect(CommandLineBinary.path.hasSuffix("/credit-broker"))
        let (status, output) = try await ChildProcess.start("/bin/sh", ["-c", "sh -c 'printf %s \"$\(ScratchSweep.markerVariable)\"'"]).wait()
        #expect(status == 0)
        #expect(output == TestScratch.folder)
        let record = try String(contentsOfFile: TestScratch.folder + "/" + ScratchSweep.ownerFileName, encoding: .utf8)
        #expect(Identity(record: record) == ScratchSweep.status(of: getpid())?.identity)
    }

    /// A scratch folder whose owner has ended, holding a running cluster, with a program its owner
    /// started still running: the server is stopped, the program killed, the folder removed; so are
    /// an old folder without an owner record and one an earlier sweep renamed but did not remove.
    /// A process the orphan's `postmaster.pid` names that is not its server, a program this
    /// (running) test process started, and another account's folder stay.
    @Test func anOrphanedFoldersServerAndProgramsAreEndedAndTheFolderRemoved() async throws {
        let parent = TestPostgres.temporaryFolder()
        let ended = try ChildProcess.start("/bin/true", [])
        let gone = try #require(ScratchSweep.status(of: ended.pid)).identity
        _ = await ended.wait()
        let orphan = try Self.scratchFolder(in: parent, "o", owner: gone)
        let unclaimed = try Self.scratchFolder(in: parent, "u", owner: nil, minutesOld: 120)
        let sleeper = try await Self.detachedSleep(marker: orphan)
        let bystander = try await Self.detachedSleep(marker: nil)
        let cluster = try await Self.cluster(in: orphan)
        let postmaster = try Self.postmaster(of: cluster)
        // A stale pid file naming a process that is no PostgreSQL server.
        try FileManager.default.createDirectory(atPath: unclaimed + "/c/data", withIntermediateDirectories: true)
        try Data("\(bystander.pid)\n\(unclaimed)/c/data\n".utf8).write(to: URL(fileURLWithPath: unclaimed + "/c/data/postmaster.pid"))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-120 * 60)], ofItemAtPath: unclaimed)
        // One an earlier sweep renamed but did not get to remove.
        let swept = parent + "/" + ScratchSweep.sweptPrefix + "s"
        try FileManager.default.createDirectory(atPath: swept + "/c", withIntermediateDirectories: true)
        // Another account's folder whose owner is gone (only root can make one).
        let foreign = try Self.scratchFolder(in: parent, "f", owner: gone)
        let foreignIsForeign = geteuid() == 0 && chown(foreign, 65_534, 65_534) == 0

        try await withCleanup {
            #expect(ScratchSweep.isRunning(sleeper) && ScratchSweep.isRunning(postmaster))
            let outcome = await ScratchSweep.sweep(in: parent)
            #expect(outcome.removed.sorted() == ([orphan, unclaimed, swept] + (foreignIsForeign ? [] : [foreign])).sorted())
            #expect(outcome.stoppedServers == [postmaster.pid])
            #expect(outcome.killed == [sleeper.pid])
            #expect(outcome.failed.isEmpty)
            #expect(!ScratchSweep.isRunning(sleeper), "the orphan's program still runs")
            #expect(!ScratchSweep.isRunning(postmaster), "the orphan's PostgreSQL server still runs")
            #expect(![orphan, unclaimed, swept].contains { FileManager.default.fileExists(atPath: $0) })
            #expect(!((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []).contains { $0.hasPrefix(ScratchSweep.sweptPrefix) })
            #expect(ScratchSweep.isRunning(bystander), "a process that is not the orphan's was killed")
            if foreignIsForeign { #expect(FileManager.default.fileExists(atPath: foreign)) }
        } cleanup: {
            Self.end(sleeper)
            Self.end(bystander)
            if ScratchSweep.isRunning(postmaster) { await cluster.stop() }
        }
    }

    /// A folder whose owner runs (this process) is left as it is, its server and programs running;
    /// so is a folder without an owner record that was just made.
    @Test func aFolderWhoseOwnerRunsIsLeftAsItIs() async throws {
        let parent = TestPostgres.temporaryFolder()
        let me = try #require(ScratchSweep.status(of: getpid())).identity
        let live = try Self.scratchFolder(in: parent, "l", owner: me)
        let young = try Self.scratchFolder(in: parent, "y", owner: nil)
        let sleeper = try await Self.detachedSleep(marker: live)
        let cluster = try await Self.cluster(in: live)
        let postmaster = try Self.postmaster(of: cluster)

        try await withCleanup {
            let outcome = await ScratchSweep.sweep(in: parent)
            #expect(outcome.isEmpty, "\(outcome)")
            #expect(ScratchSweep.isRunning(sleeper) && ScratchSweep.isRunning(postmaster))
            #expect(FileManager.default.fileExists(atPath: live + "/c/data/PG_VERSION") && FileManager.default.fileExists(atPath: young))
        } cleanup: {
            Self.end(sleeper)
            await cluster.stop()
        }
    }

    // MARK: Helpers

    /// A folder named as a scratch folder (short: the cluster's socket must fit in it), with an owner
    /// record unless `owner` is nil, last changed `minutesOld` ago.
    private static func scratchFolder(in parent: String, _ name: String, owner: Identity?, minutesOld: Double = 0) throws -> String {
        let path = parent + "/" + ScratchSweep.folderPrefix + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        if let owner {
            try Data(owner.record.utf8).write(to: URL(fileURLWithPath: path + "/" + ScratchSweep.ownerFileName))
        }
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-minutesOld * 60)], ofItemAtPath: path)
        return path
    }

    /// `sleep 600`, left running by a shell that has ended, as a crashed test process leaves its
    /// programs (their parent is then the first process), with `marker` as its scratch folder
    /// (else this process's own).
    private static func detachedSleep(marker: String?) async throws -> Identity {
        let environment = marker.map { [ScratchSweep.markerVariable: $0] } ?? [:]
        let (status, output) = try await ChildProcess.start(
            "/bin/sh", ["-c", "sleep 600 </dev/null >/dev/null 2>&1 & echo $!"], environment: environment
        ).wait()
        let pid = try #require(status == 0 ? pid_t(output.trimmingCharacters(in: .whitespacesAndNewlines)) : nil, "\(output)")
        return try #require(ScratchSweep.status(of: pid)).identity
    }

    private static func cluster(in folder: String) async throws -> EmbeddedPostgres {
        var options = EmbeddedPostgres.Options(folder: folder + "/c")
        options.fastUnsafe = true
        options.maxConnections = 20
        return try await EmbeddedPostgres.start(options)
    }

    private static func postmaster(of cluster: EmbeddedPostgres) throws -> Identity {
        let pidFile = try String(contentsOfFile: cluster.options.folder + "/data/postmaster.pid", encoding: .utf8)
        let pid = try #require(pidFile.split(separator: "\n").first.flatMap { pid_t($0) })
        return try #require(ScratchSweep.status(of: pid)).identity
    }

    /// Kills `process` if it still runs (a test's clean-up when the sweep did not).
    private static func end(_ process: Identity) {
        if ScratchSweep.isRunning(process) { kill(process.pid, SIGKILL) }
    }
}
