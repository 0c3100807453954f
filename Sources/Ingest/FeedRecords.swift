import Formats

/// A feed file's lines as ingest takes them: blank lines skipped, a CSV record whose quoted field
/// spans lines joined into one (numbered by its first line), the CSV header told apart. What
/// ``FeedIngestor`` loads and what ``FeedIngestor/count(_:)`` counts, read the one way.
struct FeedRecords {
    enum Next {
        /// A CSV file's first record.
        case header(LineReader.Line)
        /// A data line: a record or an event.
        case data(LineReader.Line)
    }

    private var reader: LineReader
    private let isCSV: Bool
    private var sawHeader = false

    init(path: String, isCSV: Bool) throws {
        reader = try LineReader(path: path)
        self.isCSV = isCSV
    }

    mutating func next() throws -> Next? {
        while var line = try reader.next() {
            if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            guard isCSV else { return .data(line) }
            while line.isTerminated, CSV.hasOpenQuote(line.bytes), let next = try reader.next() {
                line = LineReader.Line(
                    number: line.number, bytes: line.bytes + [UInt8(ascii: "\n")] + next.bytes, isTerminated: next.isTerminated)
            }
            if !sawHeader {
                sawHeader = true
                return .header(line)
            }
            return .data(line)
        }
        return nil
    }
}

extension FeedIngestor {
    /// What a feed file holds, counted as ingest counts it (``IngestSummary/lines``), for checking a
    /// delivery against its manifest before anything of it is loaded.
    public struct FileCount: Sendable, Hashable {
        /// Records and events (not blank lines or a CSV header).
        public let dataLines: Int
        /// The number of the last line when the file ends inside it (no line break after it).
        public let endsInsideLine: Int?
    }

    /// Counts the data lines of the feed file at `path` (`.jsonl` or `.csv`) without validating them.
    public static func count(_ path: String) throws -> FileCount {
        var records = try FeedRecords(path: path, isCSV: try isCSV(path))
        var dataLines = 0
        var last: LineReader.Line?
        while let next = try records.next() {
            switch next {
            case .header(let line): last = line
            case .data(let line):
                dataLines += 1
                last = line
            }
        }
        return FileCount(dataLines: dataLines, endsInsideLine: last.flatMap { $0.isTerminated ? nil : $0.number })
    }
}
