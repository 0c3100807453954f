import BrokerCore
import Foundation

/// Sampling for the synthetic province, written out here rather than taken from the standard
/// library so that their algorithms (and so every generated province) cannot change under us.
///
/// Every subject draws from its own stream (`stream(seed:purpose:index:)`), which keeps a subject's
/// data independent of how many subjects come before it.
extension SplitMix64 {
    /// The stream for one subject: `purpose` separates the draws made for different things
    /// (an organisation's identity, its records, a person …).
    static func stream(seed: UInt64, purpose: UInt64, index: Int) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ (purpose &* 0xD1B5_4A32_D192_ED03))
        let base = mixer.next()
        return SplitMix64(seed: base ^ (UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15))
    }

    /// Uniform in `0..<bound` (Lemire's multiply-shift; the bias is below 2^-40 for our bounds).
    mutating func below(_ bound: Int) -> Int {
        Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Uniform in `range`.
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.count)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// `true` with probability `p`.
    mutating func chance(_ p: Double) -> Bool {
        unit() < p
    }

    /// A standard normal deviate (Box–Muller).
    mutating func normal() -> Double {
        let u = 1 - unit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * unit())
    }

    /// e^(mu + sigma·N(0,1)).
    mutating func logNormal(mu: Double, sigma: Double) -> Double {
        exp(mu + sigma * normal())
    }

    /// A Poisson count with mean `mean` (Knuth's method; the means used here are small).
    mutating func poisson(_ mean: Double) -> Int {
        let limit = exp(-min(mean, 30))
        var product = unit()
        var count = 0
        while product > limit {
            count += 1
            product *= unit()
        }
        return count
    }

    /// One element of a non-empty array.
    mutating func pick<Element>(_ elements: [Element]) -> Element {
        elements[below(elements.count)]
    }

    /// An index drawn with the given weights.
    mutating func weighted(_ weights: [Double]) -> Int {
        var target = unit() * weights.reduce(0, +)
        for (index, weight) in weights.enumerated() {
            target -= weight
            if target < 0 { return index }
        }
        return weights.count - 1
    }
}

/// The logistic function.
func logistic(_ x: Double) -> Double {
    1 / (1 + exp(-x))
}
