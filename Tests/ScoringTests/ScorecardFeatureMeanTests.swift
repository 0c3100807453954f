import Testing
@testable import Scoring

/// The mean of several cards' points for one feature (the bagged card of training).
@Suite struct ScorecardFeatureMeanTests {
    static let reason = ReasonCode(code: "R01", chinese: "{feature}", english: "{feature}")

    static func numeric(_ cuts: [Double], _ points: [Double], missing: Double) -> ScorecardFeature {
        let lowers = [-Double.infinity] + cuts, uppers = cuts + [.infinity]
        return ScorecardFeature(
            name: "x", binning: .numeric(bins: zip(zip(lowers, uppers), points).map { .init(lower: $0.0, upper: $0.1, points: $1) }, specialValues: []),
            missingPoints: missing, reason: reason)
    }

    static func points(_ feature: ScorecardFeature, _ value: Double?) -> Double {
        guard let value else { return feature.missingPoints }
        guard case let .numeric(bins, _) = feature.binning else { return .nan }
        return bins.first { $0.contains(value) }!.points
    }

    /// Every value (and missing) scores the mean of the members' points, a card without the
    /// feature counting 0; the bins are cut at every member's edges, neighbours with equal points joined.
    @Test func numericPointsAreTheMembersMeanAtEveryValue() {
        let a = Self.numeric([10, 20], [30, 10, 0], missing: 5)
        let b = Self.numeric([15], [20, 0], missing: -1)
        let c = Self.numeric([10, 15, 20], [12, 12, 6, 0], missing: 2)
        let mean = ScorecardFeature.mean(of: [a, b, nil, c])
        for value in stride(from: -5.0, through: 30, by: 0.5) {
            let expected = ([a, b, c].map { Self.points($0, value) }.reduce(0, +) / 4 * 100).rounded() / 100
            #expect(Self.points(mean, value) == expected, "\(value)")
        }
        #expect(mean.missingPoints == 1.5)
        guard case let .numeric(bins, _) = mean.binning else { Issue.record("numeric"); return }
        // Cuts at 10, 15, 20: [−∞,10) 15.5, [10,15) 10.5, [15,20) 4, [20,∞) 0.
        #expect(bins.map(\.points) == [15.5, 10.5, 4, 0])
        // Members that agree everywhere give back their bins, however the edges fall.
        let same = ScorecardFeature.mean(of: [Self.numeric([1, 2], [3, 3, 1], missing: 0), Self.numeric([2], [3, 1], missing: 0)])
        guard case let .numeric(joined, _) = same.binning else { Issue.record("numeric"); return }
        #expect(joined == [.init(lower: -.infinity, upper: 2, points: 3), .init(lower: 2, upper: .infinity, points: 1)])
    }

    /// A category scores the mean of its points in each member, a member that has never seen it
    /// giving its other-points; categories with equal means share a group.
    @Test func categoriesScoreTheMembersMeanAndGroupByIt() {
        func card(_ groups: [([String], Double)], missing: Double) -> ScorecardFeature {
            ScorecardFeature(name: "c", binning: .categorical(groups: groups.map { .init(values: $0.0, points: $0.1) }, otherPoints: 0),
                             missingPoints: missing, reason: Self.reason)
        }
        let a = card([(["A", "B"], 10), (["C"], 0)], missing: 4)
        let b = card([(["A"], 20), (["B", "C"], 2), (["D"], 6)], missing: 0)
        let mean = ScorecardFeature.mean(of: [a, b])
        guard case let .categorical(groups, other) = mean.binning else { Issue.record("categorical"); return }
        #expect(groups == [.init(values: ["A"], points: 15), .init(values: ["B"], points: 6), .init(values: ["D"], points: 3),
                           .init(values: ["C"], points: 1)])
        #expect(other == 0 && mean.missingPoints == 2)
    }
}
