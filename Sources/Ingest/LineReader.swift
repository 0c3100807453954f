import Foundation
import Formats

/// Reads a file line by line in large chunks, keeping memory constant whatever the file's size.
///
/// A UTF-8 byte order mark opening the file (Excel's "CSV UTF-8" writes one) is no part of the first
/// line; anywhere else it is data.
struct LineReader {
    /// One physical line without its line break (`\n` or `\r\n`).
    struct Line {
        /// 1-based line number.
        let number: Int
        let bytes: [UInt8]
        /// False for a last line that the file ends in the middle of (no line break).
        let isTerminated: Bool
    }

    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private var lineNumber = 0
    private static let chunkSize = 1 << 20

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw IngestError.cannotOpen(path: path)
        }
        self.handle = handle
    }

    /// The next line, or `nil` at the end of the file.
    mutating func next() throws -> Line? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let bytes = Array(buffer[withoutByteOrderMark(start)..<end])
                start = newline + 1
                lineNumber += 1
                return Line(number: lineNumber, bytes: bytes, isTerminated: true)
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let bytes = Array(buffer[withoutByteOrderMark(start)...])
                start = buffer.count
                lineNumber += 1
                return Line(number: lineNumber, bytes: bytes, isTerminated: false)
            }
            buffer.removeFirst(start)
            start = 0
            let chunk = try handle.read(upToCount: Self.chunkSize) ?? Data()
            if chunk.isEmpty {
                atEnd = true
                try handle.close()
            } else {
                buffer.append(contentsOf: chunk)
            }
        }
    }

    /// Where the line starting at `start` begins once a byte order mark opening the file is skipped.
    private func withoutByteOrderMark(_ start: Int) -> Int {
        guard lineNumber == 0, buffer[start...].starts(with: CSV.byteOrderMark) else { return start }
        return start + CSV.byteOrderMark.count
    }
}
