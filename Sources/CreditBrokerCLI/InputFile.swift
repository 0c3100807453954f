import Foundation

/// Files an operator names on the command line, read with errors that name the file and say why
/// in words, not as Foundation's error domain and code.
enum InputFile {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Why `path` cannot be read as a file ("no such file", "permission denied", "is a directory"),
    /// or `nil` when it can.
    static func unreadable(_ path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return reason(errno) }
        if status.st_mode & S_IFMT == S_IFDIR { return "is a directory" }
        guard access(path, R_OK) == 0 else { return reason(errno) }
        return nil
    }

    /// The bytes of the file at `path`.
    static func data(_ path: String) throws(Failure) -> Data {
        if let problem = unreadable(path) { throw Failure(description: "cannot read \(path): \(problem)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure(description: "cannot read \(path)") }
        return data
    }

    /// The text of the file at `path`, which must be UTF-8 (a byte order mark opening it is skipped).
    static func text(_ path: String) throws(Failure) -> String {
        let bytes = [UInt8](try data(path))
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes[start...].makeIterator()
        var offset = start
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return String(decoding: bytes[start...], as: UTF8.self)
            case .error:
                let line = bytes[..<offset].count { $0 == UInt8(ascii: "\n") } + 1
                throw Failure(description: "\(path): not UTF-8 text (first bad byte at offset \(offset), line \(line)); save it as UTF-8")
            }
        }
    }

    /// `errno`'s meaning, in the words of an error message.
    private static func reason(_ code: Int32) -> String {
        switch code {
        case ENOENT: "no such file"
        case EACCES: "permission denied"
        case ENOTDIR: "a folder on its path is a file"
        default: String(cString: strerror(code)).lowercased()
        }
    }
}
