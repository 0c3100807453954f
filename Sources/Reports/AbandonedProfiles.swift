import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The profile folders of browsers that are gone and left them behind. A browser's profile is
/// removed when the renderer kills it; but when the gateway itself is killed (SIGKILL, a crash),
/// its browsers quit as their pipe closes and nobody removes their profiles: megabytes each, and
/// whatever Chromium cached of the reports it printed, kept in the temporary folder until it is
/// cleared. The renderer's service sweeps them when it starts.
///
/// A folder is abandoned when it is one of ours (`credit-broker-report.*`, a directory owned by
/// this account), older than `age` (a browser being started now has not locked its profile yet;
/// the renderer gives a start 30 s by default), and no running browser holds it: Chromium's
/// `SingletonLock` (a link to `host-pid`) is gone (the browser quit) or names a process of this
/// host that has ended (the browser was killed). A lock naming another host, or a process that
/// runs, keeps the folder.
public enum AbandonedProfiles {
    /// The start of every profile folder's name (`Browser` makes them).
    static let prefix = "credit-broker-report."

    /// Removes the abandoned profiles in `folder`; returns how many.
    @discardableResult
    public static func remove(in folder: String = NSTemporaryDirectory(), olderThan age: TimeInterval = 120, now: Date = Date()) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var removed = 0
        for name in names where name.hasPrefix(prefix) {
            let path = (folder as NSString).appendingPathComponent(name)
            guard isAbandoned(path, olderThan: age, now: now) else { continue }
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed += 1 }
        }
        return removed
    }

    static func isAbandoned(_ path: String, olderThan age: TimeInterval, now: Date) -> Bool {
        var status = stat()
        guard lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR, status.st_uid == getuid() else { return false }
        let modified = Date(timeIntervalSince1970: TimeInterval(status.st_mtim.tv_sec))
        guard now.timeIntervalSince(modified) > age else { return false }
        guard let lock = try? FileManager.default.destinationOfSymbolicLink(atPath: path + "/SingletonLock") else { return true }
        // "host-pid": the host name may itself hold dashes.
        guard let dash = lock.lastIndex(of: "-"), let pid = pid_t(lock[lock.index(after: dash)...]) else { return false }
        guard String(lock[..<dash]) == hostName else { return false }
        return kill(pid, 0) == -1 && errno == ESRCH
    }

    /// The host name as Chromium writes it in its lock (`gethostname`).
    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
