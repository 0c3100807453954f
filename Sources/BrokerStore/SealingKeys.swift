import ChildProcesses
import Foundation
import Synchronization

/// The sealing keys a process uses (`SealingKeyring`), read from where the installation keeps them:
/// a key file, or a command that prints them (a KMS-style hook: the keys never rest on the host's
/// disk). Re-read on `reload` (SIGHUP), which swaps them in only if they still open every value the
/// database holds.
public final class SealingKeys: Sendable {
    /// Where the keys come from.
    public enum Source: Sendable, Hashable, CustomStringConvertible {
        /// A key file: mode 0600 (or 0640 with the broker's group, as `Deploy` installs its secrets),
        /// refused if other accounts may read it or the group may write it.
        case file(String)
        /// A command run through `/bin/sh -c`, whose standard output is the keys (its standard error
        /// goes to the broker's); it must exit 0 within `SealingKeys.commandTimeout`.
        case command(String)
        /// Keys given in memory (tests).
        case fixed

        public var description: String {
            switch self {
            case .file(let path): path
            case .command: "the sealing key command's output"
            case .fixed: "the keys given"
            }
        }
    }

    /// How long a key command may take before it is killed and the keys refused.
    public static let commandTimeout: Duration = .seconds(30)

    public let source: Source
    private let current: Mutex<SealingKeyring>

    /// The keys as last read.
    public var keyring: SealingKeyring { current.withLock { $0 } }

    /// Fixed keys (they never change on `reload`).
    public init(_ keyring: SealingKeyring) {
        source = .fixed
        current = Mutex(keyring)
    }

    private init(source: Source, keyring: SealingKeyring) {
        self.source = source
        current = Mutex(keyring)
    }

    /// The keys of `source`.
    public static func load(_ source: Source) async throws(SealingKeyring.Failure) -> SealingKeys {
        SealingKeys(source: source, keyring: try await read(source))
    }

    /// The key file at `path`, created with one fresh key (mode 0600) if there is none: the
    /// embedded database's default, `STATE/sealing-keys`.
    public static func loadOrCreate(file path: String) async throws(SealingKeyring.Failure) -> SealingKeys {
        if !FileManager.default.fileExists(atPath: path) {
            let text: String
            do {
                text = try SealingKeyring.newKeyFileText(id: "k1")
            } catch {
                throw SealingKeyring.Failure("\(path): cannot make a sealing key: \(error)")
            }
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            guard descriptor >= 0 else { throw SealingKeyring.Failure("\(path): cannot create the key file: \(String(cString: strerror(errno)))") }
            let bytes = Array(text.utf8)
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
            guard written == bytes.count else { throw SealingKeyring.Failure("\(path): cannot write the key file") }
        }
        return try await load(.file(path))
    }

    /// Reads the source again and uses the keys read from now on, if they hold every key id in
    /// `inUse` (the ids the database's sealed values name); otherwise keeps the keys it has and throws.
    @discardableResult
    public func reload(inUse: Set<String>) async throws(SealingKeyring.Failure) -> SealingKeyring {
        guard source != .fixed else { return keyring }
        let fresh = try await Self.read(source)
        try Self.check(fresh, opens: inUse)
        current.withLock { $0 = fresh }
        return fresh
    }

    /// Throws unless `keyring` holds every key id in `inUse`, naming the missing ones.
    public static func check(_ keyring: SealingKeyring, opens inUse: Set<String>) throws(SealingKeyring.Failure) {
        let missing = inUse.subtracting(keyring.keys.map(\.id)).sorted()
        guard missing.isEmpty else {
            throw SealingKeyring.Failure("""
                the database holds values sealed under \(missing.map { "'\($0)'" }.joined(separator: ", ")), which the sealing keys read \
                (\(keyring.keys.map(\.id).joined(separator: ", "))) lack: keep every key that sealed something until \
                'credit-broker reseal' has moved its values to the newest
                """)
        }
    }

    private static func read(_ source: Source) async throws(SealingKeyring.Failure) -> SealingKeyring {
        switch source {
        case .fixed:
            throw SealingKeyring.Failure("fixed keys are given, not read")
        case .file(let path):
            return try SealingKeyring(text: try SecretFile.read(path), origin: path)
        case .command(let command):
            return try SealingKeyring(text: try await run(command), origin: source.description)
        }
    }

    /// The standard output of `command` (through `/bin/sh -c`), on a thread of its own so that a
    /// slow key service holds no task thread; killed after `commandTimeout`.
    private static func run(_ command: String) async throws(SealingKeyring.Failure) -> String {
        try await OwnThread.run { runBlocking(command) }.get()
    }

    private static func runBlocking(_ command: String) -> Result<String, SealingKeyring.Failure> {
        let running: ChildProcess.Running
        do {
            running = try ChildProcess.start("/bin/sh", ["-c", command], standardError: .inherited)
        } catch {
            return .failure(SealingKeyring.Failure("the sealing key command did not start: \(error)"))
        }
        let (status, output, killed) = running.wait(killingAfter: commandTimeout)
        if killed {
            return .failure(SealingKeyring.Failure("the sealing key command did not finish within \(commandTimeout.components.seconds) s and was stopped"))
        }
        guard status == 0 else {
            return .failure(SealingKeyring.Failure("the sealing key command exited with status \(status) (its standard error is the broker's)"))
        }
        return .success(output)
    }
}

/// A secret file the broker reads: refused, naming its mode, when other accounts may read it or
/// its group may write it.
public enum SecretFile {
    /// The text of the secret file at `path`.
    public static func read(_ path: String) throws(SealingKeyring.Failure) -> String {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw SealingKeyring.Failure("\(path): cannot read the key file: \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else { throw SealingKeyring.Failure("\(path): the key file is not a regular file") }
        let mode = status.st_mode & 0o7777
        guard mode & 0o037 == 0 else {
            throw SealingKeyring.Failure("""
                \(path) is mode \(String(mode, radix: 8).leftPadded(to: 4)): \(mode & 0o007 != 0 ? "other accounts may use it" : "its group may write it"); \
                a key file must be mode 0600 (or 0640 with the broker's group): chmod 600 \(path)
                """)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SealingKeyring.Failure("\(path): cannot read the key file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw SealingKeyring.Failure("\(path): the key file is not UTF-8 text") }
        return text
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
