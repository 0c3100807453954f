extension ScorecardFeature {
    /// The feature whose points, for every value and for missing, are the mean of `members`'
    /// points (a `nil` member, a card without the feature, gives 0 everywhere). Numeric bins are
    /// cut at every member's edges and neighbours with equal points joined again; categories with
    /// equal points form one group. The name and reason are the first present member's.
    ///
    /// The members must be all numeric or all categorical, without special values (as training makes them).
    static func mean(of members: [ScorecardFeature?]) -> ScorecardFeature {
        let present = members.compactMap(\.self)
        precondition(!present.isEmpty, "a mean of at least one present member")
        let count = Double(members.count)
        func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 + 0 }
        func mean(_ points: (ScorecardFeature) -> Double) -> Double { rounded(present.reduce(0) { $0 + points($1) } / count) }
        let binning: Binning
        if present[0].isNumeric {
            func bins(_ feature: ScorecardFeature) -> [NumericBin] {
                guard case let .numeric(bins, specials) = feature.binning, specials.isEmpty else {
                    preconditionFailure("numeric members without special values")
                }
                return bins
            }
            let edges = Set(present.flatMap { bins($0).map(\.lower) }).filter(\.isFinite).sorted()
            let lowers = [-Double.infinity] + edges, uppers = edges + [.infinity]
            var merged: [NumericBin] = []
            for (lower, upper) in zip(lowers, uppers) {
                // Every member has one bin over the whole of [lower, upper): read it at `lower`.
                let points = mean { member in bins(member).first { $0.contains(lower) }!.points }
                if let last = merged.last, last.points == points {
                    merged[merged.count - 1].upper = upper
                } else {
                    merged.append(NumericBin(lower: lower, upper: upper, points: points))
                }
            }
            binning = .numeric(bins: merged, specialValues: [])
        } else {
            func groups(_ feature: ScorecardFeature) -> (groups: [CategoryGroup], other: Double) {
                guard case let .categorical(groups, other) = feature.binning else { preconditionFailure("categorical members") }
                return (groups, other)
            }
            let values = Set(present.flatMap { groups($0).groups.flatMap(\.values) }).sorted()
            var byPoints: [Double: [String]] = [:]
            for value in values {
                let points = mean { member in
                    let (groups, other) = groups(member)
                    return groups.first { $0.values.contains(value) }?.points ?? other
                }
                byPoints[points, default: []].append(value)
            }
            binning = .categorical(groups: byPoints.sorted { $0.key > $1.key }.map { CategoryGroup(values: $0.value, points: $0.key) },
                                   otherPoints: mean { groups($0).other })
        }
        return ScorecardFeature(name: present[0].name, binning: binning, missingPoints: mean(\.missingPoints), reason: present[0].reason)
    }
}
