@testable import Gateway
import Testing

/// When a standby may serve a read: it must have replayed past a primary position sampled no longer
/// than the bound ago (`DatabaseReads` compares real servers; `Deploy/test/run.sh` tests that).
@Suite struct StandbyFreshnessTests {
    let start = ContinuousClock.now
    let bound = Duration.seconds(1)

    @Test func aStandbyIsFreshAsOfTheLastPrimarySampleItHasReplayedPast() {
        var freshness = StandbyFreshness()
        #expect(!freshness.allows(at: start, maxLag: bound), "never compared: not usable")
        freshness.primary(flushed: 100, askedAt: start)
        freshness.standby(replayed: 99)
        #expect(freshness.freshAsOf == nil, "behind the only sample")
        freshness.standby(replayed: 100)
        #expect(freshness.freshAsOf == start)
        #expect(freshness.allows(at: start + .milliseconds(900), maxLag: bound))
        #expect(!freshness.allows(at: start + .milliseconds(1_100), maxLag: bound), "older than the bound")
    }

    /// A quiet primary writes nothing: its position stays, and a standby that has replayed it is
    /// fresh as of every new sample (timestamps of replayed transactions would stop moving).
    @Test func aQuietPrimaryKeepsACaughtUpStandbyFresh() {
        var freshness = StandbyFreshness()
        for tick in 0..<50 {
            let instant = start + .milliseconds(200 * tick)
            freshness.primary(flushed: 5_000, askedAt: instant)
            freshness.standby(replayed: 5_000)
            #expect(freshness.freshAsOf == instant)
        }
    }

    /// A standby whose replay stopped (paused, or too slow) ages out of the bound while the primary
    /// moves on, and is fresh again once it passes a later sample.
    @Test func aStandbyThatStopsReplayingAgesOutAndComesBack() {
        var freshness = StandbyFreshness()
        freshness.primary(flushed: 10, askedAt: start)
        freshness.standby(replayed: 10)
        for tick in 1...10 {
            freshness.primary(flushed: Int64(10 + tick), askedAt: start + .milliseconds(200 * tick))
            freshness.standby(replayed: 10)
        }
        #expect(freshness.freshAsOf == start)
        #expect(!freshness.allows(at: start + .seconds(2), maxLag: bound))
        freshness.standby(replayed: 15)
        #expect(freshness.freshAsOf == start + .milliseconds(1_000), "fresh as of the sample at position 15")
        freshness.standby(replayed: 20)
        #expect(freshness.allows(at: start + .seconds(2), maxLag: bound))
    }

    /// Unreachable or promoted: unusable until it passes a sample taken after that.
    @Test func anUnusableStandbyMustCatchUpWithANewSample() {
        var freshness = StandbyFreshness()
        freshness.primary(flushed: 10, askedAt: start)
        freshness.standby(replayed: 10)
        freshness.standbyUnusable()
        #expect(!freshness.allows(at: start, maxLag: bound))
        freshness.standby(replayed: 10)
        #expect(freshness.freshAsOf == nil, "no sample since")
        freshness.primary(flushed: 12, askedAt: start + .milliseconds(200))
        freshness.standby(replayed: 12)
        #expect(freshness.allows(at: start + .milliseconds(300), maxLag: bound))
    }

    /// The primary gone: no new samples, so the standby ages out and reads go to the primary (which
    /// fails them: nothing is disclosed unmetered).
    @Test func withoutPrimarySamplesTheStandbyAgesOut() {
        var freshness = StandbyFreshness()
        freshness.primary(flushed: 10, askedAt: start)
        freshness.standby(replayed: 10)
        for _ in 0..<10 { freshness.standby(replayed: 10) }
        #expect(!freshness.allows(at: start + .milliseconds(1_500), maxLag: bound))
    }
}
