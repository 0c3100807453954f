import Foundation
import Testing
@testable import Scoring

@Suite struct WOETableTests {
    /// Three bins, 100 goods and 20 bads in all; no smoothing.
    ///
    /// | bin | good | bad | %good | %bad | WOE = ln(%good/%bad) | (%good−%bad)·WOE |
    /// |-----|------|-----|-------|------|----------------------|------------------|
    /// | 1   | 50   | 5   | 0.50  | 0.25 | ln 2   =  0.693147  | 0.173287         |
    /// | 2   | 40   | 10  | 0.40  | 0.50 | ln 0.8 = −0.223144  | 0.022314         |
    /// | 3   | 10   | 5   | 0.10  | 0.25 | ln 0.4 = −0.916291  | 0.137444         |
    /// IV = 0.333045
    @Test func matchesTheHandComputedTable() {
        let table = WOETable([BinCounts(good: 50, bad: 5), BinCounts(good: 40, bad: 10), BinCounts(good: 10, bad: 5)], smoothing: 0)
        let expected = [0.693147, -0.223144, -0.916291]
        for (woe, value) in zip(table.woe, expected) { #expect(abs(woe - value) < 1e-6) }
        #expect(abs(table.informationValue - 0.333045) < 1e-6)
    }

    /// With smoothing 0.5 over two bins: goods 10 → (10.5, 0.5)/11, bads 2 → (0.5, 2.5)/3.
    /// WOE₁ = ln((10.5/11)/(0.5/3)) = ln 5.727273 = 1.745240; WOE₂ = ln((0.5/11)/(2.5/3)) = ln 0.054545 = −2.908721.
    @Test func smoothingKeepsPureBinsFinite() {
        let table = WOETable([BinCounts(good: 10, bad: 0), BinCounts(good: 0, bad: 2)])
        #expect(abs(table.woe[0] - 1.745240) < 1e-6)
        #expect(abs(table.woe[1] + 2.908721) < 1e-6)
    }

    @Test func emptyBinsAreNeutral() {
        let table = WOETable([BinCounts(good: 50, bad: 5), BinCounts(), BinCounts(good: 50, bad: 15)], smoothing: 0)
        #expect(table.woe[1] == 0)
        let without = WOETable([BinCounts(good: 50, bad: 5), BinCounts(good: 50, bad: 15)], smoothing: 0)
        #expect(table.informationValue == without.informationValue)
    }
}
