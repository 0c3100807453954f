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

/// The system's clock moved by a fixed offset: for test topologies of several processes that must
/// all reach an instant (midnight) at once, a few seconds into a run (`serve --test-clock-offset`).
public struct OffsetClock: WallClock {
    public let offset: TimeInterval

    public init(offset: TimeInterval) {
        self.offset = offset
    }

    public func now() -> Date { Date(timeIntervalSinceNow: offset) }
}

/// A clock that reads what it was last set to, and does not run: for tests that must land a request
/// exactly before or after an instant (a renewal at midnight), however slow the machine.
public final class FixedClock: WallClock {
    private let instant: Mutex<Date>

    public init(_ instant: Date) {
        self.instant = Mutex(instant)
    }

    public func now() -> Date { instant.withLock { $0 } }

    /// From now on, the clock reads `instant`.
    public func set(_ instant: Date) {
        self.instant.withLock { $0 = instant }
    }
}
