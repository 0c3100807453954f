import Foundation

/// Runs a program to completion with `posix_spawn` and collects what it printed.
///
/// Used for the PostgreSQL server tools. (Foundation's `Process.waitUntilExit` can hang on Linux
/// when called off the main thread; `waitpid` cannot.)
enum ChildProcess {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `executable` with `arguments`, feeds it `input`, and returns its output
    /// (stdout and stderr together). Throws when it exits non-zero, with what it printed.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], input: String? = nil) throws -> String {
        var output: [Int32] = [0, 0]
        var stdin: [Int32] = [0, 0]
        guard pipe(&output) == 0, pipe(&stdin) == 0 else {
            throw Failure(description: "cannot create pipes: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, output[1], 2)
        for descriptor in stdin + output { posix_spawn_file_actions_addclose(&actions, descriptor) }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(stdin[0])
        close(output[1])
        guard spawned == 0 else {
            close(stdin[1])
            close(output[0])
            throw Failure(description: "cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        if let input {
            var bytes = Array(input.utf8)
            _ = bytes.withUnsafeMutableBytes { write(stdin[1], $0.baseAddress, $0.count) }
        }
        close(stdin[1])

        var collected = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(output[0], $0.baseAddress, $0.count) }
            if count > 0 {
                collected += buffer[0..<count]
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        close(output[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = String(decoding: collected, as: UTF8.self)
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard exitCode == 0 else {
            let name = (executable as NSString).lastPathComponent
            throw Failure(description: "\(name) \(arguments.first ?? "") failed (exit \(exitCode)): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return text
    }
}
