/// What an ingest run did.
public struct IngestSummary: Sendable, Hashable, CustomStringConvertible {
    /// Data lines read: records, events and rejected lines (not blank lines or CSV headers).
    public var lines = 0
    public var inserted = 0
    public var updated = 0
    /// Records identical to the stored version.
    public var unchanged = 0
    /// Record lines overtaken by a later line of the same record within their batch.
    public var supersededInBatch = 0
    /// Status events recorded for the first time.
    public var eventsApplied = 0
    /// Status events recorded by an earlier run.
    public var eventsRepeated = 0
    public var rejected = 0
    /// Data-quality warnings on accepted lines (USCCs with a failed check character), each
    /// reported as a ``LineFault``.
    public var warnings = 0
    /// Batches the database refused as a whole (their lines are in the reject report).
    public var failedBatches = 0
    /// Wall-clock time of the run.
    public var elapsed: Duration = .zero

    public init() {}

    /// Lines per second over the run.
    public var linesPerSecond: Double {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return seconds > 0 ? Double(lines) / seconds : 0
    }

    /// Adds the counts (and time) of another run.
    public mutating func add(_ other: IngestSummary) {
        lines += other.lines
        inserted += other.inserted
        updated += other.updated
        unchanged += other.unchanged
        supersededInBatch += other.supersededInBatch
        eventsApplied += other.eventsApplied
        eventsRepeated += other.eventsRepeated
        rejected += other.rejected
        warnings += other.warnings
        failedBatches += other.failedBatches
        elapsed += other.elapsed
    }

    public var description: String {
        "\(Self.count(lines, "line", "lines")): \(inserted) inserted, \(updated) updated, \(unchanged) unchanged, "
            + "\(supersededInBatch) superseded in batch, \(Self.count(eventsApplied, "event", "events")) applied, "
            + "\(Self.count(eventsRepeated, "event", "events")) repeated, \(rejected) rejected, "
            + "\(Self.count(warnings, "warning", "warnings")), \(Self.count(failedBatches, "failed batch", "failed batches")); "
            + "\(Int(linesPerSecond.rounded())) lines/s"
    }

    /// `count` with its noun in the number it takes: "1 warning", "0 warnings".
    private static func count(_ count: Int, _ singular: String, _ plural: String) -> String {
        "\(count) \(count == 1 ? singular : plural)"
    }
}
