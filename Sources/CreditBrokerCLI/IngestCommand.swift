import ArgumentParser
import BrokerCore
import BrokerStore
import Foundation
import Ingest
import Logging
import PostgresClient
import SyntheticProvince
import UnixSignals

/// `credit-broker ingest`: validates feed files against the catalog and loads them.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Load feed files (JSON Lines, CSV) into the database.",
        discussion: """
            Every line is checked against the catalog; a refused line never stops the others. Refused \
            lines go to the reject report (--rejects: file,line,field,reason); without it the first \
            \(Self.rejectsShown) are named on standard error as "file:line: field: reason" (never the \
            value itself). When any line was refused the command exits with status \(Self.rejectedStatus) \
            once the others are loaded (1 for an error that stopped the run). A line loaded despite a \
            data-quality fault (a USCC whose check character fails) is named on standard error \
            as "warning: file:line: field: reason". Lines are merged in batches, each \
            in one transaction; loading the same file again changes nothing. Ctrl-C (SIGINT) or SIGTERM \
            rolls back the batch being merged and exits 130 or 143; the batches before it stay. Person ID \
            numbers are stored as keyed hashes under CREDIT_BROKER_PERSON_KEY_SECRET (at least 32 bytes).
            """
    )

    @Argument(help: "Feed files (.jsonl or .csv), all from --source.")
    var files: [String] = []

    @Option(help: "The catalog source that delivered the files.")
    var source: String?

    @Option(help: "A generated province's manifest.json: load every file it lists with its source.")
    var manifest: String?

    @Option(help: "Write rejected lines to this CSV file (file,line,field,reason); without it the first ones are named on standard error.")
    var rejects: String?

    @Option(help: "Lines per batch (one transaction each).")
    var batchSize = 25_000

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var policies: ContractsOptions

    func validate() throws {
        guard manifest != nil || !files.isEmpty else { throw ValidationError("name feed files or --manifest") }
        guard files.isEmpty || source != nil else { throw ValidationError("--source is required with feed files") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    }

    func run() async throws {
        let bundle = try policies.load()
        let feeds = try checkedFeeds()
        let opened = try await database.open(migrate: true, logger: Logger(label: "credit-broker.ingest"))
        do {
            let hasher = try database.personKeyHasher()
            try await Self.stoppingOnSignal {
                try await load(feeds, into: opened.pool, catalog: bundle.catalog, masking: bundle.masking, hasher: hasher)
            }
            await opened.close()
        } catch {
            await opened.close()
            guard let interrupted = error as? Interrupted else { throw error }
            FileHandle.standardError.write(Data("\n\(interrupted)\n".utf8))
            throw ExitCode(128 + interrupted.signal.rawValue)
        }
    }

    /// The exit status of a run that loaded what it could but refused lines: distinct from 1 (the
    /// run stopped) so that a delivery script can set such a delivery aside.
    static let rejectedStatus: Int32 = 3

    /// Rejected lines named on standard error when there is no reject report.
    static let rejectsShown = 20

    /// SIGINT (Ctrl-C) or SIGTERM during a run.
    struct Interrupted: Error, CustomStringConvertible {
        let signal: UnixSignal

        var description: String {
            "interrupted (\(signal)): the batch being merged was rolled back; the files reported above are complete, "
                + "and ingesting the same files again stores the rest without changing what is stored"
        }
    }

    /// Runs `work`, cancelling it on SIGINT or SIGTERM: the merge in flight is stopped at the server
    /// (its transaction rolls back), the batches before it stay committed, and `Interrupted` is thrown.
    static func stoppingOnSignal(_ work: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await work() }
            group.addTask {
                for await signal in await UnixSignalsSequence(trapping: .sigint, .sigterm) { throw Interrupted(signal: signal) }
            }
            // The first to end: the work (then the signal watch is cancelled), or a signal (then the
            // work is cancelled and awaited before the error leaves the group).
            try await group.next()
            group.cancelAll()
        }
    }

    /// Loads every feed, printing a summary per file and a total; refused lines go to the reject
    /// report, or the first `rejectsShown` to standard error. Exits `rejectedStatus` if any was refused.
    private func load(_ feeds: [Feed], into pool: PostgresPool, catalog: Catalog, masking: MaskingPolicy, hasher: PersonKeyHasher) async throws {
        let ingestor = FeedIngestor(
            writer: RecordWriter(pool: pool), catalog: catalog, masking: masking, hasher: hasher, batchSize: batchSize)
        let report = try rejects.map(RejectReport.init(path:))
        let interactive = isatty(STDERR_FILENO) == 1
        // On a terminal, a line on standard error replaces the progress line, which the next batch redraws.
        let clearProgress = interactive ? "\r\u{1B}[K" : ""
        var shown = 0
        let total = try await ingestor.ingest(
            feeds,
            onReject: { rejection in
                if let report {
                    try report.append(rejection)
                } else if shown < Self.rejectsShown {
                    shown += 1
                    FileHandle.standardError.write(Data((clearProgress + "\(rejection)\n").utf8))
                }
            },
            onWarning: { warning in
                FileHandle.standardError.write(Data((clearProgress + "warning: \(warning)\n").utf8))
            },
            onProgress: { feed, progress in
                guard interactive else { return }
                FileHandle.standardError.write(Data(
                    "\r\(feed.path): \(progress.lines) lines, \(progress.rejected) rejected, \(Int(progress.linesPerSecond)) lines/s   ".utf8))
            },
            onFinished: { feed, summary in
                if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
                print("\(feed.path) (\(feed.source)): \(summary)")
            })
        try report?.close()
        print("total: \(total)")
        guard total.rejected == 0 else {
            if rejects == nil, total.rejected > shown {
                FileHandle.standardError.write(Data("… and \(total.rejected - shown) more; --rejects FILE lists all\n".utf8))
            }
            FileHandle.standardError.write(Data("""
                \(total.rejected) of \(total.lines) line(s) rejected, not loaded\(rejects.map { " (listed in \($0))" } ?? ""); \
                \(total.rejected == total.lines ? "no line was loaded" : "the other lines are loaded") (exit status \(Self.rejectedStatus))

                """.utf8))
            throw ExitCode(Self.rejectedStatus)
        }
    }

    /// The files to load with their sources (the arguments under --source, then the manifest's),
    /// each checked before anything is loaded: it must be there and readable, and a file the
    /// manifest lists must hold the data lines it names, ending with a line break. A delivery with
    /// a file missing or cut short is refused whole, every fault named on standard error.
    private func checkedFeeds() throws -> [Feed] {
        var feeds = files.map { Feed(path: $0, source: source ?? "") }
        var faults: [String] = []
        for feed in feeds {
            if let problem = InputFile.unreadable(feed.path) { faults.append("\(feed.path): \(problem)") }
        }
        if let manifest {
            let listed: ProvinceManifest
            do {
                listed = try JSONDecoder().decode(ProvinceManifest.self, from: InputFile.data(manifest))
            } catch let failure as InputFile.Failure {
                throw failure
            } catch {
                throw InputFile.Failure(description: "\(manifest): not a delivery manifest (JSON with files and lines): \(error)")
            }
            let folder = URL(filePath: manifest).deletingLastPathComponent()
            for (name, feedSource) in listed.files.sorted(by: { $0.key < $1.key }) {
                let path = folder.appending(path: name).path()
                feeds.append(Feed(path: path, source: feedSource))
                if let problem = InputFile.unreadable(path) {
                    faults.append("\(path): \(problem) (the manifest lists it)")
                    continue
                }
                guard let expected = listed.lines[name] else {
                    faults.append("\(path): the manifest gives no line count for it (lines.\(name))")
                    continue
                }
                let count = try FeedIngestor.count(path)
                if count.dataLines != expected {
                    faults.append("\(path): \(count.dataLines) data line(s), the manifest says \(expected)")
                } else if let line = count.endsInsideLine {
                    faults.append("\(path): the file ends inside line \(line) (no line break after it): cut short")
                }
            }
        }
        guard faults.isEmpty else {
            for fault in faults { FileHandle.standardError.write(Data("\(fault)\n".utf8)) }
            throw InputFile.Failure(description: manifest.map { "the delivery \($0) is not complete: nothing loaded" }
                ?? "\(faults.count) file(s) cannot be read: nothing loaded")
        }
        return feeds
    }
}
