import Synchronization

/// How many requests of one partner this process serves at once. A partner over it is answered at
/// once, before its body is read or the database is asked: a client that opens thousands of
/// requests and never finishes them (an HTTP/2 stream flood) holds at most this many per process,
/// so the memory they take stays bounded.
public final class ConcurrencyLimiter: Sendable {
    public let limit: Int
    private let inFlight = Mutex<[String: Int]>([:])

    public init(limit: Int) {
        precondition(limit > 0, "a partner needs at least one request at a time")
        self.limit = limit
    }

    /// Counts a request of `partner` in, unless the partner already has `limit` in flight.
    public func enter(_ partner: String) -> Bool {
        inFlight.withLock { counts in
            let count = counts[partner, default: 0]
            guard count < limit else { return false }
            counts[partner] = count + 1
            return true
        }
    }

    /// Counts a request of `partner` out (after `enter` returned true).
    public func leave(_ partner: String) {
        inFlight.withLock { counts in
            let count = counts[partner, default: 0] - 1
            counts[partner] = count > 0 ? count : nil
        }
    }
}
