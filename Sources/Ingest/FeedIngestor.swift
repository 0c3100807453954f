import BrokerCore
import BrokerStore
import Formats

/// Loads feed files (JSON Lines and CSV, see briefs/feeds.md) into the store.
///
/// Every line is validated against the catalog; a refused line goes to the reject handler and
/// never stops the others. Accepted lines are merged in batches of `batchSize` lines, each batch
/// in one transaction (`RecordWriter`): a batch the database refuses leaves nothing behind, its
/// lines are reported as rejected, and the run goes on. Batches merge one at a time, in file and
/// line order; while one batch is merged, the next one is read and validated, across the end of
/// a file too (the next file's first batch is read while the last one's merges). Cancelling the
/// run stops the merge in flight at the server (its batch rolls back) and ends the run with
/// `CancellationError`; the batches before it stay committed.
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
    ///   - onWarning: called for every data-quality warning on an accepted line, in line order.
    ///   - onProgress: called with the running totals after each batch is merged.
    public func ingest(
        file path: String, source: String,
        onReject: @escaping (LineFault) throws -> Void,
        onWarning: @escaping (LineFault) throws -> Void = { _ in },
        onProgress: @escaping (IngestSummary) -> Void = { _ in }
    ) async throws -> IngestSummary {
        try await ingest(
            [Feed(path: path, source: source)], onReject: onReject, onWarning: onWarning,
            onProgress: { _, summary in onProgress(summary) })
    }

    /// Ingests `feeds` in order: a file's batches merge after every batch of the files before it.
    ///
    /// Every file's format and source are checked before any line is read.
    /// - Parameters:
    ///   - onReject: called for every refused line, in line order per batch.
    ///   - onWarning: called for every data-quality warning on an accepted line, in line order.
    ///   - onProgress: called with a file's running totals after each of its batches is merged.
    ///   - onFinished: called with a file's totals once its last batch is merged, in file order.
    /// - Returns: the totals of all files; `elapsed` is the wall-clock time of the whole run.
    public func ingest(
        _ feeds: [Feed],
        onReject: @escaping (LineFault) throws -> Void,
        onWarning: @escaping (LineFault) throws -> Void = { _ in },
        onProgress: @escaping (Feed, IngestSummary) -> Void = { _, _ in },
        onFinished: @escaping (Feed, IngestSummary) -> Void = { _, _ in }
    ) async throws -> IngestSummary {
        let readers = try feeds.map { feed in
            (validator: try FeedValidator(catalog: catalog, source: feed.source, hasher: hasher, masking: masking),
             isCSV: try Self.isCSV(feed.path))
        }
        // The merge in flight is the group's one child task: cancelling the run stops it at the
        // server (its transaction rolls back) and the run ends only once it has.
        return try await withThrowingTaskGroup(of: RecordWriter.Outcome.self) { merges in
            var pipeline = Pipeline(
                feeds: feeds, writer: writer, onReject: onReject, onWarning: onWarning, onProgress: onProgress, onFinished: onFinished)
            do {
                for (index, feed) in feeds.enumerated() {
                    pipeline.begin(file: index)
                    try await read(feed.path, readers[index].validator, isCSV: readers[index].isCSV, into: &pipeline, merges: &merges)
                    try await pipeline.endFile(merges: &merges)
                }
                try await pipeline.finish(merges: &merges)
            } catch {
                // A file that cannot be read ends the run, after the merge in flight (an earlier file's) settles.
                try? await pipeline.finish(merges: &merges)
                throw error
            }
            return pipeline.total
        }
    }

    /// The merges of a run: at most one in flight.
    typealias Merges = ThrowingTaskGroup<RecordWriter.Outcome, any Error>

    static func isCSV(_ path: String) throws(IngestError) -> Bool {
        if path.hasSuffix(".jsonl") { return false }
        if path.hasSuffix(".csv") { return true }
        throw .unsupportedFormat(path: path)
    }

    /// Reads and validates one file into the pipeline, handing it each full batch.
    private func read(_ path: String, _ validator: FeedValidator, isCSV: Bool, into pipeline: inout Pipeline, merges: inout Merges) async throws {
        var records = try FeedRecords(path: path, isCSV: isCSV)
        var header: [String]?
        while let next = try records.next() {
            let line: LineReader.Line
            switch next {
            case .header(let first):
                header = try Self.header(first, path: path)
                continue
            case .data(let data): line = data
            }
            pipeline.summary.lines += 1
            // A refused line has no warnings: its rejection says what is wrong with it.
            var warnings: [FeedValidator.Warning] = []
            do {
                let feedLine = try Self.decode(line, csvHeader: header)
                pipeline.add(try validator.validate(feedLine, number: line.number, warnings: &warnings))
            } catch {
                warnings.removeAll()
                try pipeline.reject(line: line.number, error)
            }
            for warning in warnings { try pipeline.warn(line: line.number, warning) }
            if pipeline.pendingLines >= batchSize { try await pipeline.flush(merges: &merges) }
        }
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
            cells = try CSV.fields(of: line.bytes)
        } catch {
            throw LineRejection("", "CSV \(error)")
        }
        return try FeedLine(header: csvHeader, cells: cells)
    }

    /// The CSV header's column names; the required columns must be present, and no column twice.
    private static func header(_ line: LineReader.Line, path: String) throws -> [String] {
        guard line.isTerminated, String(validating: line.bytes, as: UTF8.self) != nil,
              let columns = try? CSV.fields(of: line.bytes)
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
    /// The state of a run: the batch being filled, the batch being merged, the totals per file.
    private struct Pipeline {
        /// Lines of one file collected for one transaction.
        struct Batch: Sendable {
            var file: Int
            var records: [StagedRecord] = []
            var events: [StagedEvent] = []
            var firstLine = Int.max
            var lastLine = 0
            /// Whether the file has no line after this batch.
            var isLast = false
            var count: Int { records.count + events.count }
        }

        let feeds: [Feed]
        let writer: RecordWriter
        let onReject: (LineFault) throws -> Void
        let onWarning: (LineFault) throws -> Void
        let onProgress: (Feed, IngestSummary) -> Void
        let onFinished: (Feed, IngestSummary) -> Void
        /// Per file: its totals, and when its first line was read.
        var summaries: [IngestSummary]
        var started: [ContinuousClock.Instant]
        var batch = Batch(file: 0)
        /// The batch being merged (the run's `Merges` has its merge).
        var merging: Batch?
        let runStarted = ContinuousClock.now

        init(
            feeds: [Feed], writer: RecordWriter, onReject: @escaping (LineFault) throws -> Void,
            onWarning: @escaping (LineFault) throws -> Void,
            onProgress: @escaping (Feed, IngestSummary) -> Void, onFinished: @escaping (Feed, IngestSummary) -> Void
        ) {
            self.feeds = feeds
            self.writer = writer
            self.onReject = onReject
            self.onWarning = onWarning
            self.onProgress = onProgress
            self.onFinished = onFinished
            summaries = Array(repeating: IngestSummary(), count: feeds.count)
            started = Array(repeating: runStarted, count: feeds.count)
        }

        /// The totals of the file being read.
        var summary: IngestSummary {
            get { summaries[batch.file] }
            set { summaries[batch.file] = newValue }
        }

        var pendingLines: Int { batch.count }

        /// The totals of every file; `elapsed` is the run's wall-clock time.
        var total: IngestSummary {
            var total = IngestSummary()
            for summary in summaries { total.add(summary) }
            total.elapsed = ContinuousClock.now - runStarted
            return total
        }

        mutating func begin(file: Int) {
            batch = Batch(file: file)
            started[file] = ContinuousClock.now
        }

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

        mutating func warn(line: Int, _ warning: FeedValidator.Warning) throws {
            summary.warnings += 1
            try onWarning(LineFault(file: feeds[batch.file].path, line: line, field: warning.field, reason: warning.reason))
        }

        mutating func reject(line: Int, _ error: any Error) throws {
            try reject(line: line, error, file: batch.file)
        }

        private mutating func reject(line: Int, _ error: any Error, file: Int) throws {
            let rejection = error as? LineRejection ?? LineRejection("", "\(error)")
            summaries[file].rejected += 1
            try onReject(LineFault(file: feeds[file].path, line: line, field: rejection.field, reason: rejection.reason))
        }

        /// Starts merging the collected batch once the previous merge has finished.
        mutating func flush(merges: inout Merges) async throws {
            try await settle(merges: &merges)
            try Task.checkCancellation()
            let full = batch
            batch = Batch(file: full.file)
            guard full.count > 0 else {
                if full.isLast { finished(full.file) }
                return
            }
            let (writer, source) = (writer, feeds[full.file].source)
            let (records, events) = (full.records, full.events)
            merges.addTask { try await writer.merge(records: records, events: events, source: source) }
            merging = full
        }

        /// Hands the file's last batch to the merge, without waiting for it.
        mutating func endFile(merges: inout Merges) async throws {
            batch.isLast = true
            try await flush(merges: &merges)
        }

        mutating func finish(merges: inout Merges) async throws {
            try await settle(merges: &merges)
        }

        /// Waits for the merge in flight and books its outcome to its file.
        private mutating func settle(merges: inout Merges) async throws {
            guard let merged = merging else { return }
            merging = nil
            let file = merged.file
            defer {
                summaries[file].elapsed = ContinuousClock.now - started[file]
                onProgress(feeds[file], summaries[file])
                if merged.isLast { finished(file) }
            }
            let outcome: RecordWriter.Outcome
            do {
                guard let next = try await merges.next() else { preconditionFailure("a batch is merging") }
                outcome = next
            } catch let refused as RecordWriter.BatchRefused {
                // A merge stopped because the run was cancelled is not the database refusing the batch.
                if Task.isCancelled { throw CancellationError() }
                // The database refused this batch's data: it costs these lines only. Any other failure ends the run.
                summaries[file].failedBatches += 1
                let state = refused.sqlState.map { " (SQLSTATE \($0))" } ?? ""
                let reason = "batch of lines \(merged.firstLine)–\(merged.lastLine) rolled back: the database refused it\(state)"
                for line in (merged.records.map(\.line) + merged.events.map(\.line)).sorted() {
                    try reject(line: line, LineRejection("", reason), file: file)
                }
                return
            }
            summaries[file].inserted += outcome.inserted
            summaries[file].updated += outcome.updated
            summaries[file].unchanged += outcome.unchanged
            summaries[file].supersededInBatch += outcome.supersededInBatch
            summaries[file].eventsApplied += outcome.eventsApplied
            summaries[file].eventsRepeated += outcome.eventsRepeated
            for line in outcome.unknownEventLines {
                try reject(line: line, LineRejection("source_record_id", "names no stored record of this subject and item"), file: file)
            }
        }

        private func finished(_ file: Int) {
            var summary = summaries[file]
            summary.elapsed = ContinuousClock.now - started[file]
            onFinished(feeds[file], summary)
        }
    }
}
