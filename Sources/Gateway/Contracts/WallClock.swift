import Foundation
import Synchronization

/// Where the broker reads the time of day. A request reads it once, at its start: its quota
/// day, its decision and its meter event all use that one instant.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The system's clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// The system's clock moved by an offset that can be changed while the broker runs: for tests of
/// what happens at an instant (a renewal taking over at midnight, a version taking effect), without
/// waiting for it.
public final class ShiftedClock: WallClock {
    private let offset = Mutex<TimeInterval>(0)

    public init(now: Date? = nil) {
        if let now { set(now) }
    }

    public func now() -> Date { Date().addingTimeInterval(offset.withLock { $0 }) }

    /// From now on, the clock reads `instant` (and runs on from there).
    public func set(_ instant: Date) {
        offset.withLock { $0 = instant.timeIntervalSinceNow }
    }
}
