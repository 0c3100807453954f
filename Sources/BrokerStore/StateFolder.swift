import Foundation

/// The broker's local state folder (`--state-dir`): the embedded cluster, the person-key secret,
/// the receipt signing key, the development PKI, the demo's agency keys. It holds personal data and
/// secrets, so it is the broker's account's alone: mode 0700. When the broker runs as root, the
/// embedded PostgreSQL runs as `postgres` and must pass through it to reach its own folder, so the
/// folder is then 0710 with the `postgres` group (that account may enter, not list or read).
public enum StateFolder {
    /// The folder cannot be made the broker's own.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Creates the folder if needed and makes it private (an existing folder made by an earlier
    /// version, 0755 or so, is closed too).
    public static func prepare(_ path: String) throws {
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & S_ISVTX != 0 || status.st_mode & 0o002 != 0 {
            throw Failure(description: """
                the state folder \(path) is shared with other accounts (world-writable, like /tmp): give the broker a folder of its own, \
                for example \(path.hasSuffix("/") ? path : path + "/")credit-broker
                """)
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        if geteuid() == 0, let group = getgrnam("postgres")?.pointee.gr_gid {
            guard chown(path, geteuid(), group) == 0 else { throw failure(path, "chown root:postgres") }
            guard chmod(path, 0o710) == 0 else { throw failure(path, "chmod 0710") }
        } else {
            guard chmod(path, 0o700) == 0 else { throw failure(path, "chmod 0700") }
        }
    }

    private static func failure(_ path: String, _ action: String) -> Failure {
        Failure(description: "cannot make the state folder \(path) private (\(action)): \(String(cString: strerror(errno)))")
    }
}
