/// A points-based scorecard: features with binned points, scaling, grades, hard-decline rules and
/// reason codes. `score = interceptPoints + Σ feature points`, rounded to an integer, with the
/// intercept and points of the subject's segment (see ``ScorecardSegment``); an unsegmented card
/// has one.
///
/// Load one with ``Scorecard/init(yaml:)``; score with ``CompiledScorecard``.
public struct Scorecard: Sendable, Hashable {
    /// Card name, for example `sme-lending`.
    public var name: String
    /// Version stamped on every result, for example `sme-lending-v1.0`.
    public var version: String
    /// How points relate to odds (documents the card; grades and PDs are derived from it).
    public var scaling: ScoreScaling
    /// How many reason codes a result reports, 0 … ``ReasonList/capacity``.
    public var reasonCount: Int
    /// The sets of points, tried in order; at least one.
    public var segments: [ScorecardSegment]
    public var declineRules: [DeclineRule]
    /// Best grade first; the last band is open below.
    public var grades: [GradeBand]

    public init(
        name: String, version: String, scaling: ScoreScaling, reasonCount: Int = ReasonList.capacity,
        segments: [ScorecardSegment], declineRules: [DeclineRule] = [], grades: [GradeBand]
    ) {
        self.name = name
        self.version = version
        self.scaling = scaling
        self.reasonCount = reasonCount
        self.segments = segments
        self.declineRules = declineRules
        self.grades = grades
    }

    /// An unsegmented card: one set of points for every subject.
    public init(
        name: String, version: String, scaling: ScoreScaling, interceptPoints: Double = 0,
        reasonCount: Int = ReasonList.capacity, features: [ScorecardFeature],
        declineRules: [DeclineRule] = [], grades: [GradeBand]
    ) {
        self.init(
            name: name, version: version, scaling: scaling, reasonCount: reasonCount,
            segments: [ScorecardSegment(name: nil, interceptPoints: interceptPoints, features: features)],
            declineRules: declineRules, grades: grades)
    }

    /// Whether the card has named segments (else it has one unnamed set of points).
    public var isSegmented: Bool { segments.count > 1 || segments.first?.name != nil }

    /// The path of segment `index` in the card's YAML: empty for an unsegmented card.
    func path(ofSegment index: Int) -> String { isSegmented ? "segments[\(index)]." : "" }

    /// Checks everything the YAML syntax cannot: contiguous bins, unique names and codes, known
    /// features and values in rules and selectors, one kind per feature name, a last segment
    /// without a selector, ordered grades, sane scaling.
    public func validate() throws(ScorecardError) {
        func fail(_ path: String, _ message: String) -> ScorecardError {
            ScorecardError(path: path, message: message)
        }
        if name.isEmpty { throw fail("name", "must not be empty") }
        if version.isEmpty { throw fail("version", "must not be empty") }
        guard scaling.baseOdds > 0, scaling.baseOdds.isFinite else { throw fail("scaling", "base_odds must be positive") }
        guard scaling.pointsToDoubleOdds > 0, scaling.pointsToDoubleOdds.isFinite else { throw fail("scaling", "pdo must be positive") }
        guard (0...ReasonList.capacity).contains(reasonCount) else {
            throw fail("reason_count", "must be between 0 and \(ReasonList.capacity)")
        }
        if segments.isEmpty { throw fail("segments", "a card needs at least one segment") }

        // A reason code names one feature (in any number of segments) or one decline rule.
        var codeOwners: [String: String] = [:]
        func checkReason(_ reason: ReasonCode, owner: String, _ path: String) throws(ScorecardError) {
            if reason.code.isEmpty { throw fail(path, "reason code must not be empty") }
            if let other = codeOwners.updateValue(owner, forKey: reason.code), other != owner {
                throw fail(path, "reason code \(reason.code) is used twice")
            }
            for text in [reason.chinese, reason.english] {
                if text.isEmpty { throw fail(path, "reason \(reason.code) needs both zh and en text") }
                if let unknown = ReasonCode.unknownPlaceholders(in: text, allowed: ReasonCode.placeholders, choices: true).first {
                    throw fail(path, "unknown placeholder {\(unknown)} (allowed: {feature}, {value}, {singular|plural})")
                }
            }
            for text in [reason.missingChinese, reason.missingEnglish] {
                if text.isEmpty { throw fail(path, "reason \(reason.code) needs both zh_missing and en_missing text") }
                if let unknown = ReasonCode.unknownPlaceholders(in: text, allowed: ["feature"], choices: false).first {
                    throw fail(path, "unknown placeholder {\(unknown)} in a text for a missing value (allowed: {feature})")
                }
            }
        }
        var segmentNames: Set<String> = []
        var isNumeric: [String: Bool] = [:]
        for (segmentIndex, segment) in segments.enumerated() {
            let prefix = path(ofSegment: segmentIndex)
            if isSegmented {
                guard let name = segment.name, !name.isEmpty else { throw fail("segments[\(segmentIndex)]", "a segment needs a name") }
                if !segmentNames.insert(name).inserted { throw fail("segments[\(segmentIndex)]", "segment \(name) is defined twice") }
                let isLast = segmentIndex == segments.count - 1
                if isLast != segment.whenPresent.isEmpty {
                    throw fail("segments[\(segmentIndex)]", isLast
                        ? "the last segment scores every other subject: no when_present"
                        : "every segment but the last needs when_present (the features that select it)")
                }
            }
            guard segment.interceptPoints.isFinite else { throw fail(prefix + "intercept_points", "must be finite") }
            if segment.features.isEmpty { throw fail(prefix + "features", "a segment needs at least one feature") }
            var names: Set<String> = []
            for (index, feature) in segment.features.enumerated() {
                let path = "\(prefix)features[\(index)]"
                if feature.name.isEmpty { throw fail(path, "feature name must not be empty") }
                if !names.insert(feature.name).inserted { throw fail(path, "feature \(feature.name) is defined twice") }
                if let numeric = isNumeric.updateValue(feature.isNumeric, forKey: feature.name), numeric != feature.isNumeric {
                    throw fail(path, "feature \(feature.name) is \(numeric ? "numeric" : "categorical") in an earlier segment")
                }
                if let bad = feature.allPoints.first(where: { !$0.isFinite }) {
                    throw fail(path, "points must be finite, found \(bad)")
                }
                try checkReason(feature.reason, owner: "feature " + feature.name, path + ".reason")
                switch feature.binning {
                case let .numeric(bins, specials):
                    try Self.validate(bins: bins, path: path)
                    var seen: Set<Double> = []
                    for (s, special) in specials.enumerated() where !special.value.isFinite || !seen.insert(special.value).inserted {
                        throw fail("\(path).special[\(s)]", "special value \(special.value) must be finite and listed once")
                    }
                case let .categorical(groups, _):
                    if groups.isEmpty { throw fail(path + ".groups", "a categorical feature needs at least one group") }
                    var seen: Set<String> = []
                    for (g, group) in groups.enumerated() {
                        if group.values.isEmpty { throw fail("\(path).groups[\(g)]", "a group needs at least one value") }
                        if let twice = group.values.first(where: { !seen.insert($0).inserted }) {
                            throw fail("\(path).groups[\(g)]", "value \"\(twice)\" is in more than one group")
                        }
                    }
                }
            }
        }
        for (segmentIndex, segment) in segments.enumerated() {
            if let unknown = segment.whenPresent.first(where: { isNumeric[$0] == nil }) {
                throw fail("segments[\(segmentIndex)].when_present", "unknown feature \(unknown): no segment scores it")
            }
        }
        let definitions = segments.flatMap(\.features)
        for (index, rule) in declineRules.enumerated() {
            let path = "decline_rules[\(index)]"
            guard let numeric = isNumeric[rule.feature] else { throw fail(path, "unknown feature \(rule.feature)") }
            if numeric == rule.condition.isCategorical {
                throw fail(path, numeric
                    ? "feature \(rule.feature) is numeric: use at_least, at_most or equals"
                    : "feature \(rule.feature) is categorical: use in")
            }
            if case let .isOneOf(values) = rule.condition {
                var known: Set<String> = []
                for case let .categorical(groups, _) in definitions.filter({ $0.name == rule.feature }).map(\.binning) {
                    known.formUnion(groups.flatMap(\.values))
                }
                if values.isEmpty { throw fail(path, "in: needs at least one value") }
                if let unknown = values.first(where: { !known.contains($0) }) {
                    throw fail(path, "value \"\(unknown)\" is not in any group of \(rule.feature)")
                }
            }
            try checkReason(rule.reason, owner: path, path)
        }
        try validateGrades()
    }

    private static func validate(bins: [ScorecardFeature.NumericBin], path: String) throws(ScorecardError) {
        guard let first = bins.first, let last = bins.last else {
            throw ScorecardError(path: path + ".bins", message: "a numeric feature needs at least one bin")
        }
        if first.lower != -.infinity { throw ScorecardError(path: path + ".bins[0]", message: "the first bin must be open below (no from:)") }
        if last.upper != .infinity {
            throw ScorecardError(path: "\(path).bins[\(bins.count - 1)]", message: "the last bin must be open above (no to:)")
        }
        for (index, bin) in bins.enumerated() {
            let binPath = "\(path).bins[\(index)]"
            if !(bin.lower < bin.upper) { throw ScorecardError(path: binPath, message: "from \(bin.lower) must be below to \(bin.upper)") }
            if index > 0, bins[index - 1].upper != bin.lower {
                throw ScorecardError(path: binPath, message: "from \(bin.lower) must equal the previous bin's to \(bins[index - 1].upper)")
            }
        }
    }

    private func validateGrades() throws(ScorecardError) {
        let expected = Grade.allCases
        guard grades.map(\.grade) == expected else {
            throw ScorecardError(path: "grades", message: "list all nine grades in order: \(expected.map(\.rawValue).joined(separator: ", "))")
        }
        for (index, band) in grades.enumerated() {
            let path = "grades[\(index)]"
            guard band.probabilityOfDefault > 0, band.probabilityOfDefault < 1 else {
                throw ScorecardError(path: path, message: "pd must be in (0, 1)")
            }
            let isLast = index == grades.count - 1
            if isLast != (band.minimumScore == nil) {
                throw ScorecardError(path: path, message: isLast ? "the worst grade is open below: no min" : "min is required")
            }
            guard index > 0 else { continue }
            let previous = grades[index - 1]
            if let minimum = band.minimumScore, let above = previous.minimumScore, minimum >= above {
                throw ScorecardError(path: path, message: "min \(minimum) must be below \(previous.grade.rawValue)'s min \(above)")
            }
            if band.probabilityOfDefault < previous.probabilityOfDefault {
                throw ScorecardError(path: path, message: "pd must not fall below the better grade's pd")
            }
        }
    }
}
