import Foundation

/// An output file written through a large in-memory buffer, counting the lines it holds.
final class BufferedFile {
    let name: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private(set) var lines = 0
    private static let flushThreshold = 1 << 20

    /// Creates (or truncates) `name` in `directory`.
    init(name: String, in directory: URL) throws {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        self.name = name
        handle = try FileHandle(forWritingTo: url)
        buffer.reserveCapacity(Self.flushThreshold + 4096)
    }

    /// Appends one line through `render`, flushing the buffer when it is full.
    func appendLine(_ render: (inout [UInt8]) -> Void) throws {
        render(&buffer)
        lines += 1
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    /// Appends bytes that are not a data line (a CSV header).
    func appendHeader(_ text: String) {
        buffer.append(contentsOf: text.utf8)
    }

    func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered and closes the file.
    func close() throws {
        try flush()
        try handle.close()
    }
}
