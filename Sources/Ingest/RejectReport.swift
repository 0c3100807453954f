import BrokerCore
import Formats
import Foundation

/// The reject report: a CSV file `file,line,field,reason` with one row per refused line.
public final class RejectReport {
    private let handle: FileHandle
    private var pending: [UInt8] = []

    /// Creates (or truncates) the report at `path` and writes its header.
    public init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path)
        else { throw IngestError.cannotOpen(path: path) }
        self.handle = handle
        pending.append(contentsOf: "file,line,field,reason\n".utf8)
    }

    public func append(_ rejection: LineFault) throws {
        CSV.appendRecord([rejection.file, String(rejection.line), rejection.field, rejection.reason], to: &pending)
        if pending.count >= 1 << 16 { try flush() }
    }

    /// Writes what is buffered and closes the file.
    public func close() throws {
        try flush()
        try handle.close()
    }

    private func flush() throws {
        try handle.write(contentsOf: pending)
        pending.removeAll(keepingCapacity: true)
    }
}
