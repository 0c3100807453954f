import ChildProcesses
import Foundation
@testable import Reports
import Testing

/// The profiles a killed gateway's browsers leave are swept; a profile a running browser holds,
/// one being started, and anything not ours stay.
@Suite struct AbandonedProfilesTests {
    @Test func onlyProfilesNoRunningBrowserHoldsAreRemoved() async throws {
        let folder = NSTemporaryDirectory() + "/abandoned-profiles-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // A process that has ended: its pid names no process now.
        let ended = try ChildProcess.start("/bin/true", [])
        let endedPid = ended.pid
        _ = await ended.wait()
        let host = AbandonedProfiles.hostName
        func profile(_ name: String, lock: String?, minutesOld: Double) throws -> String {
            let path = folder + "/" + name
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            try Data("{}".utf8).write(to: URL(fileURLWithPath: path + "/Local State"))
            if let lock { try FileManager.default.createSymbolicLink(atPath: path + "/SingletonLock", withDestinationPath: lock) }
            let when = Date().addingTimeInterval(-minutesOld * 60)
            try FileManager.default.setAttributes([.modificationDate: when], ofItemAtPath: path)
            return path
        }
        let quit = try profile("credit-broker-report.quit", lock: nil, minutesOld: 10)
        let killed = try profile("credit-broker-report.killed", lock: "\(host)-\(endedPid)", minutesOld: 10)
        let running = try profile("credit-broker-report.running", lock: "\(host)-\(getpid())", minutesOld: 10)
        let starting = try profile("credit-broker-report.starting", lock: nil, minutesOld: 0)
        let elsewhere = try profile("credit-broker-report.elsewhere", lock: "another-host-\(endedPid)", minutesOld: 10)
        let notOurs = try profile("chromium-profile.other", lock: nil, minutesOld: 10)

        #expect(AbandonedProfiles.remove(in: folder) == 2)
        let exists = { (path: String) in FileManager.default.fileExists(atPath: path) }
        #expect(!exists(quit) && !exists(killed))
        #expect(exists(running) && exists(starting) && exists(elsewhere) && exists(notOurs))
        // Nothing left to remove the second time.
        #expect(AbandonedProfiles.remove(in: folder) == 0)
    }
}
