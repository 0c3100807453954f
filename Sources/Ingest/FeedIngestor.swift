import BrokerCore
import BrokerStore
import PostgresClient

/// Loads feed files (JSON Lines and CSV, see briefs/feeds.md) into the store.
///
/// Every line is validated against the catalog; a refused line goes to the reject handler and
/// never stops the others. Accepted lines are merged in batches of `batchSize` lines, each batch
/// in one transaction (`RecordWriter`): a batch the database refuses leaves nothing behind, its
/// lines are reported as rejected, and the run goes on. While one batch is merged, the next one
/// is read and validated.
public struct FeedIngestor: Sendable {
    public let writer: RecordWriter
    public let catalog: Catalog
    public let masking: MaskingPolicy
    public let hasher: PersonKeyHasher
    /// Lines per batch (and per transaction).
    public let batchSize: Int

    public init(writer: RecordWriter, catalog: Catalog, masking: MaskingPolicy, hasher: PersonKeyHasher, batchSize: Int = 25_000) {
        precondition(batchSize > 0, "a batch holds at least one line")
        self.writer = writer
        self.catalog = catalog
        self.masking = masking
        self.hasher = hasher
        self.batchSize = batchSize
    }

    /// Ingests one file delivered by `source`; the format follows the extension (`.jsonl`, `.csv`).
    ///
    /// - Parameters:
    ///   - onReject: called for every refused line, in line order per batch.
    ///   - onProgress: called with the running totals after each batch is merged.
    public func ingest(
        file path: String, source: String,
        onReject: @escaping (Rejection) throws -> Void,
        onProgress: @escaping (IngestSummary) -> Void = { _ in }
    ) async throws -> IngestSummary {
        let validator = try FeedValidator(catalog: catalog, source: source, hasher: hasher, masking: masking)
        let isCSV: Bool
        if path.hasSuffix(".jsonl") {
            isCSV = false
        } else if path.hasSuffix(".csv") {
            isCSV = true
        } else {
            throw IngestError.unsupportedFormat(path: path)
        }
        var run = Run(path: path, source: source, writer: writer, onReject: onReject, onProgress: onProgress)
        var reader = try LineReader(path: path)
        var header: [String]?
        while var line = try reader.next() {
            if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            if isCSV {
                while line.isTerminated, CSVRecordParser.hasOpenQuote(line.bytes), let next = try reader.next() {
                    line = LineReader.Line(
                        number: line.number, bytes: line.bytes + [UInt8(ascii: "\n")] + next.bytes, isTerminated: next.isTerminated)
                }
                if header == nil {
                    header = try Self.header(line, path: path)
                    continue
                }
            }
            run.summary.lines += 1
            do {
                let feedLine = try Self.decode(line, csvHeader: header)
                run.add(try validator.validate(feedLine, number: line.number, warnings: &run.summary.warnings))
            } catch {
                try run.reject(line: line.number, error)
            }
            if run.pendingLines >= batchSize { try await run.flush() }
        }
        try await run.finish()
        return run.summary
    }

    /// Decodes a terminated, valid UTF-8 line of either format.
    private static func decode(_ line: LineReader.Line, csvHeader: [String]?) throws(LineRejection) -> FeedLine {
        guard line.isTerminated else {
            throw LineRejection("", "truncated: the file ends inside this line (no line break after it)")
        }
        guard String(validating: line.bytes, as: UTF8.self) != nil else {
            throw LineRejection("", "not valid UTF-8")
        }
        guard let csvHeader else { return try FeedLine(json: line.bytes) }
        let cells: [String]
        do {
            cells = try CSVRecordParser.cells(of: line.bytes)
        } catch {
            throw LineRejection("", "CSV cell \(error.cell): \(error.reason)")
        }
        return try FeedLine(header: csvHeader, cells: cells)
    }

    /// The CSV header's column names; the required columns must be present, and no column twice.
    private static func header(_ line: LineReader.Line, path: String) throws -> [String] {
        guard line.isTerminated, String(validating: line.bytes, as: UTF8.self) != nil,
              let columns = try? CSVRecordParser.cells(of: line.bytes)
        else { throw IngestError.badHeader(path: path, reason: "not a complete line of UTF-8 CSV") }
        for required in ["item", "subject", "source_record_id"] where !columns.contains(required) {
            throw IngestError.badHeader(path: path, reason: "the column \(required) is missing")
        }
        if let repeated = columns.first(where: { name in columns.filter { $0 == name }.count > 1 }) {
            throw IngestError.badHeader(path: path, reason: "the column \(FeedLine.printable(repeated)) appears twice")
        }
        return columns
    }
}

extension FeedIngestor {
    /// The state of one file's run: the batch being filled, the batch being merged, the totals.
    private struct Run {
        /// Lines collected for one transaction.
        struct Batch: Sendable {
            var records: [StagedRecord] = []
            var events: [StagedEvent] = []
            var firstLine = Int.max
            var lastLine = 0
            var count: Int { records.count + events.count }
        }

        let path: String
        let source: String
        let writer: RecordWriter
        let onReject: (Rejection) throws -> Void
        let onProgress: (IngestSummary) -> Void
        var summary = IngestSummary()
        var batch = Batch()
        /// The batch being merged, and its merge.
        var merging: (batch: Batch, task: Task<RecordWriter.Outcome, any Error>)?
        let started = ContinuousClock.now

        var pendingLines: Int { batch.count }

        mutating func add(_ line: FeedValidator.Validated) {
            switch line {
            case .record(let record):
                batch.records.append(record)
                batch.firstLine = min(batch.firstLine, record.line)
                batch.lastLine = record.line
            case .event(let event):
                batch.events.append(event)
                batch.firstLine = min(batch.firstLine, event.line)
                batch.lastLine = event.line
            }
        }

        mutating func reject(line: Int, _ error: any Error) throws {
            let rejection = error as? LineRejection ?? LineRejection("", "\(error)")
            summary.rejected += 1
            try onReject(Rejection(file: path, line: line, field: rejection.field, reason: rejection.reason))
        }

        /// Starts merging the collected batch once the previous merge has finished.
        mutating func flush() async throws {
            try await settle()
            guard batch.count > 0 else { return }
            let full = batch
            batch = Batch()
            let (writer, source) = (writer, source)
            let (records, events) = (full.records, full.events)
            merging = (full, Task { try await writer.merge(records: records, events: events, source: source) })
        }

        mutating func finish() async throws {
            try await flush()
            try await settle()
            summary.elapsed = ContinuousClock.now - started
        }

        /// Waits for the merge in flight and books its outcome.
        private mutating func settle() async throws {
            guard let (merged, task) = merging else { return }
            merging = nil
            defer {
                summary.elapsed = ContinuousClock.now - started
                onProgress(summary)
            }
            let outcome: RecordWriter.Outcome
            do {
                outcome = try await task.value
            } catch let error as PostgresError where error.kind == .server {
                // The server refused this batch: it costs these lines only. Any other failure ends the run.
                summary.failedBatches += 1
                let state = error.sqlState.map { " (SQLSTATE \($0))" } ?? ""
                let reason = "batch of lines \(merged.firstLine)–\(merged.lastLine) rolled back: the database refused it\(state)"
                for line in (merged.records.map(\.line) + merged.events.map(\.line)).sorted() {
                    try reject(line: line, LineRejection("", reason))
                }
                return
            }
            summary.inserted += outcome.inserted
            summary.updated += outcome.updated
            summary.unchanged += outcome.unchanged
            summary.supersededInBatch += outcome.supersededInBatch
            summary.eventsApplied += outcome.eventsApplied
            summary.eventsRepeated += outcome.eventsRepeated
            for line in outcome.unknownEventLines {
                try reject(line: line, LineRejection("source_record_id", "names no stored record of this subject and item"))
            }
        }
    }
}
