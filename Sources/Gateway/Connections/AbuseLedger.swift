/// Which client addresses the partner listener refuses for a while because their connections were
/// ended for abuse: a pure state machine (no clock, no I/O), fed by `ConnectionGate`.
///
/// swift-nio-http2 ends a connection whose peer misbehaves (HTTP/2 rapid reset, a flood of streams
/// past the concurrency limit, too many stream errors or "glitches") with GOAWAY
/// ENHANCE_YOUR_CALM. That protects the connection, not the server: the attacker reconnects at once,
/// and every new connection costs a TLS handshake with a client certificate to verify. The fault
/// harness measured a bank's p99 at 15 × (rapid reset) and 31 × (stream flood) its quiet p99 that
/// way. Here an address whose connections are ended so `Policy.strikes` times within
/// `Policy.window` is refused at accept, before TLS, for `Policy.firstBan`; each further ban of the
/// same address doubles, up to `Policy.longestBan`. An address that behaves for `longestBan` is
/// forgotten. A refused connection is held silent for `Policy.hold` before it is closed.
///
/// A well-behaved client never earns a strike. Clients sharing one address (a bank's NAT) share its
/// strikes: the README says so.
public struct AbuseLedger: Sendable {
    /// When an address is refused, and for how long (`GatewayServer.Configuration.abuse`).
    public struct Policy: Sendable, Hashable {
        /// Abusive connection ends within `window` that ban an address.
        public var strikes: Int
        public var window: Duration
        public var firstBan: Duration
        public var longestBan: Duration
        /// Addresses remembered at most; past it, the one seen longest ago is forgotten first.
        public var addresses: Int
        /// How long a connection from a banned address is held silent before it is closed (nothing
        /// read from it, nothing sent), as a firewall that drops packets makes a client wait: closed
        /// at once, a script reconnects at once, thousands of times a second.
        public var hold: Duration
        /// Connections held silent at once, at most; past it, a banned address's connection is closed at once.
        public var heldAtMost: Int

        public init(
            strikes: Int = 3, window: Duration = .seconds(60), firstBan: Duration = .seconds(10), longestBan: Duration = .seconds(600),
            addresses: Int = 10_000, hold: Duration = .seconds(5), heldAtMost: Int = 1_000
        ) {
            self.strikes = strikes
            self.window = window
            self.firstBan = firstBan
            self.longestBan = longestBan
            self.addresses = addresses
            self.hold = hold
            self.heldAtMost = heldAtMost
        }

        public static let standard = Policy()
    }

    /// An address's refusal that began with this strike.
    struct Ban: Equatable {
        var length: Duration
        /// The how-many-th ban of this address (1 for the first).
        var count: Int
    }

    private struct Entry {
        /// Times of the recent abusive ends, oldest first, at most `policy.strikes`.
        var strikes: [ContinuousClock.Instant] = []
        var bannedUntil: ContinuousClock.Instant?
        var bans = 0
        var lastSeen: ContinuousClock.Instant
    }

    let policy: Policy
    private var entries: [String: Entry] = [:]

    init(policy: Policy = .standard) {
        precondition(policy.strikes >= 1 && policy.addresses >= 1, "a ban needs at least one strike and room for one address")
        self.policy = policy
    }

    /// Addresses remembered now (for tests and the bound).
    var count: Int { entries.count }

    /// Whether a connection from `address` may proceed at `now`.
    func admits(_ address: String, at now: ContinuousClock.Instant) -> Bool {
        guard let until = entries[address]?.bannedUntil else { return true }
        return now >= until
    }

    /// A connection from `address` was ended for abuse at `now`; the ban it starts, if any.
    mutating func struck(_ address: String, at now: ContinuousClock.Instant) -> Ban? {
        var entry = entries[address] ?? Entry(lastSeen: now)
        if now - max(entry.lastSeen, entry.bannedUntil ?? entry.lastSeen) >= policy.longestBan {
            entry = Entry(lastSeen: now)  // behaved for the longest ban since its last strike or ban: a fresh start
        }
        entry.lastSeen = now
        entry.strikes.removeAll { now - $0 >= policy.window }
        entry.strikes.append(now)
        var ban: Ban?
        if entry.strikes.count >= policy.strikes, entry.bannedUntil.map({ now >= $0 }) ?? true {
            entry.bans += 1
            let length = min(policy.firstBan * (1 << min(entry.bans - 1, 30)), policy.longestBan)
            entry.bannedUntil = now + length
            entry.strikes.removeAll()
            ban = Ban(length: length, count: entry.bans)
        }
        entries[address] = entry
        if entries.count > policy.addresses { forgetOldest(keeping: address, at: now) }
        return ban
    }

    /// Makes room: first the addresses that have behaved for `longestBan`, then whichever unbanned
    /// one was seen longest ago, then banned ones (never `keeping`, just struck).
    private mutating func forgetOldest(keeping address: String, at now: ContinuousClock.Instant) {
        func banned(_ entry: Entry) -> Bool { entry.bannedUntil.map { now < $0 } ?? false }
        entries = entries.filter { key, entry in key == address || banned(entry) || now - entry.lastSeen < policy.longestBan }
        let excess = entries.count - policy.addresses
        guard excess > 0 else { return }
        // Unbanned before banned, each oldest first.
        let order = entries.filter { $0.key != address }.sorted { left, right in
            banned(left.value) == banned(right.value) ? left.value.lastSeen < right.value.lastSeen : !banned(left.value)
        }
        for (key, _) in order.prefix(excess) { entries[key] = nil }
    }
}
