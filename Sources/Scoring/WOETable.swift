import Foundation

/// Weight of evidence and information value of a set of bins.
///
/// With goods `g_i`, bads `b_i` in `k` non-empty bins, totals `G`, `B` and smoothing `α`:
/// `pg_i = (g_i + α) / (G + kα)`, `pb_i = (b_i + α) / (B + kα)`, `WOE_i = ln(pg_i / pb_i)` (positive
/// means better than average), `IV = Σ (pg_i − pb_i) · WOE_i`. The smoothing keeps a bin with no
/// goods or no bads finite. An empty bin has WOE 0 (the population average) and adds nothing.
public struct WOETable: Sendable, Equatable {
    /// The smoothing added to every count: half an observation.
    public static let defaultSmoothing = 0.5

    public let counts: [BinCounts]
    public let woe: [Double]
    public let informationValue: Double

    public init(_ counts: [BinCounts], smoothing: Double = Self.defaultSmoothing) {
        self.counts = counts
        let used = Double(counts.count(where: { $0.total > 0 }))
        let goods = Double(counts.reduce(0) { $0 + $1.good }) + used * smoothing
        let bads = Double(counts.reduce(0) { $0 + $1.bad }) + used * smoothing
        var iv = 0.0
        woe = counts.map { bin in
            guard bin.total > 0 else { return 0 }
            let pGood = (Double(bin.good) + smoothing) / goods
            let pBad = (Double(bin.bad) + smoothing) / bads
            let value = log(pGood / pBad)
            iv += (pGood - pBad) * value
            return value
        }
        informationValue = iv
    }
}
