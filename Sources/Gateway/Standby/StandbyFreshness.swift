/// How far behind the primary a streaming standby is, from positions in the primary's WAL.
///
/// The monitor reads the primary's flushed WAL position (a byte offset: every transaction committed
/// before the instant it asked lies at or below it), then the standby's replayed position. Once the
/// standby has replayed past a primary sample, it holds every commit made before that sample's
/// instant: `freshAsOf`. A read at `now` may go to the standby only while `now - freshAsOf` is
/// within the bound, so it can miss at most the commits of the last `maxLag`.
///
/// Timestamps of replayed transactions (`pg_last_xact_replay_timestamp()`) would not do: on a quiet
/// primary they stop moving and a standby that is fully caught up looks ever further behind.
struct StandbyFreshness: Sendable {
    private struct Sample: Sendable {
        let at: ContinuousClock.Instant
        let position: Int64
    }

    /// Primary samples the standby has not yet been seen to pass, oldest first.
    private var pending: [Sample] = []
    /// Every commit on the primary before this instant has been replayed on the standby.
    private(set) var freshAsOf: ContinuousClock.Instant?
    /// Samples kept while the standby falls behind (older ones are dropped: by then it is too far
    /// behind for any sane bound).
    private let capacity = 256

    /// The primary had flushed up to `position` when asked at `instant`.
    mutating func primary(flushed position: Int64, askedAt instant: ContinuousClock.Instant) {
        pending.append(Sample(at: instant, position: position))
        if pending.count > capacity { pending.removeFirst(pending.count - capacity) }
    }

    /// The standby has replayed up to `position` (and is in recovery).
    mutating func standby(replayed position: Int64) {
        guard let passed = pending.lastIndex(where: { $0.position <= position }) else { return }
        let instant = pending[passed].at
        if freshAsOf.map({ instant > $0 }) ?? true { freshAsOf = instant }
        pending.removeFirst(passed + 1)
    }

    /// The standby cannot serve reads (unreachable, promoted, or not a standby at all): forget what
    /// it had replayed, so that it must catch up with a new sample before it serves again.
    mutating func standbyUnusable() {
        freshAsOf = nil
        pending.removeAll()
    }

    /// How far behind the standby is known to be at `now`; `nil` when it is unusable.
    func staleness(at now: ContinuousClock.Instant) -> Duration? {
        freshAsOf.map { now - $0 }
    }

    /// Whether a read at `now` may go to the standby.
    func allows(at now: ContinuousClock.Instant, maxLag: Duration) -> Bool {
        staleness(at: now).map { $0 <= maxLag } ?? false
    }
}
