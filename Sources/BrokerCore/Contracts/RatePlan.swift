extension Contract.Prices {
    /// A stretch of a month's billable calls, counted from 1 in the order they were answered, at one
    /// price per call: the free allowance, `perCall` up to the first tier, then each tier.
    public struct CallBand: Sendable, Hashable {
        public let first: Int
        /// `nil`: every call from `first` on.
        public let last: Int?
        public let price: Money

        /// `1-100`, `101-1000`, `1001-`: how statements name the band.
        public var name: String { "\(first)-\(last.map(String.init) ?? "")" }

        public func contains(_ call: Int) -> Bool { first <= call && call <= (last ?? .max) }
    }

    /// The bands of a month's billable calls, from call 1 on without a gap.
    public var callBands: [CallBand] {
        var bands: [CallBand] = []
        var start = 1
        if let freeCalls, freeCalls > 0 {
            bands.append(CallBand(first: 1, last: freeCalls, price: .zero))
            start = freeCalls + 1
        }
        var price = perCall
        for tier in tiers ?? [] {
            if tier.from > start { bands.append(CallBand(first: start, last: tier.from - 1, price: Money(fen: Int64(price)))) }
            start = max(start, tier.from)
            price = tier.perCall
        }
        bands.append(CallBand(first: start, last: nil, price: Money(fen: Int64(price))))
        return bands
    }

    /// The price of each disclosure of `item` in a billed answer (zero when the plan names none).
    public func itemPrice(_ item: String) -> Money { Money(fen: Int64(perItem[item] ?? 0)) }

    /// The price of each batch-review subject billed.
    public var batchSubjectPrice: Money { Money(fen: Int64(perBatchSubject ?? 0)) }

    /// The plan in one line, for `contracts diff` and proposals: `per call 0.10 CNY; first 100
    /// calls free; from call 1001 0.08; per batch subject 0.02; enterprise.tax_paid 0.50`.
    public var summary: String {
        var parts = ["per call \(Money(fen: Int64(perCall))) \(Money.currency)"]
        if let freeCalls { parts.append("first \(freeCalls) calls free") }
        for tier in tiers ?? [] { parts.append("from call \(tier.from) \(Money(fen: Int64(tier.perCall)))") }
        if let perBatchSubject { parts.append("per batch subject \(Money(fen: Int64(perBatchSubject)))") }
        for (item, price) in perItem.sorted(by: { $0.key < $1.key }) { parts.append("\(item) \(Money(fen: Int64(price)))") }
        return parts.joined(separator: "; ")
    }
}
