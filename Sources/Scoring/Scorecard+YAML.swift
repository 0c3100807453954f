import Formats
import Yams

extension Scorecard {
    /// Parses and validates a card from YAML text (the caller reads the file). Errors carry the
    /// YAML line and name the field (a path such as `features[2].bins[1]`); the first found is
    /// thrown, with every other problem the reading found in its ``ScorecardError/further``.
    public init(yaml text: String) throws(ScorecardError) {
        var reader = YAMLReader(file: "")
        guard let root = reader.root(of: text), let card = reader.scorecard(root) else {
            // Every problem the reader found, each with its line, the first in front.
            let problems = reader.diagnostics.map { ScorecardError(path: "", line: $0.line > 0 ? $0.line : nil, message: $0.message) }
            var error = problems.first ?? ScorecardError(path: "", message: "\(Self.rootName) cannot be read")
            error.further = Array(problems.dropFirst())
            throw error
        }
        self = card
        do {
            try validate()
        } catch var error {
            error.line = Self.nearestLine(of: error.path, in: reader.lines)
            throw error
        }
    }

    /// The card as YAML text that ``init(yaml:)`` reads back to an equal card.
    public func yaml() -> String {
        var pairs: [(Node, Node)] = [
            ("name", Node(name, .implicit, .doubleQuoted)),
            ("version", Node(version, .implicit, .doubleQuoted)),
            ("scaling", Node([
                ("base_points", Self.node(scaling.basePoints)),
                ("base_odds", Self.node(scaling.baseOdds)),
                ("pdo", Self.node(scaling.pointsToDoubleOdds)),
            ], .implicit, .flow)),
            ("reason_count", Node(String(reasonCount))),
        ]
        if isSegmented {
            pairs.append(("segments", Node(segments.map { segment in
                var entry: [(Node, Node)] = [("name", Node(segment.name ?? ""))]
                if !segment.whenPresent.isEmpty { entry.append(("when_present", Node(segment.whenPresent.map { Node($0) }, .implicit, .flow))) }
                entry.append(("intercept_points", Self.node(segment.interceptPoints)))
                entry.append(("features", Node(segment.features.map(Self.node(for:)))))
                return Node(entry)
            })))
        } else {
            pairs.append(("intercept_points", Self.node(segments[0].interceptPoints)))
            pairs.append(("features", Node(segments[0].features.map(Self.node(for:)))))
        }
        if !declineRules.isEmpty {
            pairs.append(("decline_rules", Node(declineRules.map(Self.node(for:)))))
        }
        pairs.append(("grades", Node(grades.map { band in
            var entry: [(Node, Node)] = [("grade", Node(band.grade.rawValue))]
            if let minimum = band.minimumScore { entry.append(("min", Node(String(minimum)))) }
            entry.append(("pd", Self.node(band.probabilityOfDefault)))
            return Node(entry, .implicit, .flow)
        })))
        // Serialising a tree built from strings cannot fail.
        return try! Yams.serialize(node: Node(pairs), width: -1, allowUnicode: true, sortKeys: false)
    }

    // MARK: Decoding

    /// What the card's root is called in messages (and in `YAMLReader.lines`).
    fileprivate static let rootName = "the card"

    /// The line of `path`, or of its nearest recorded ancestor.
    private static func nearestLine(of path: String, in lines: [String: Int]) -> Int? {
        var candidate = Substring(path)
        while true {
            if let line = lines[String(candidate)] { return line }
            guard let cut = candidate.lastIndex(where: { $0 == "." || $0 == "[" }) else { return lines[rootName] }
            candidate = candidate[..<cut]
        }
    }

    // MARK: Encoding

    /// Shortest text that reads back to exactly `value`.
    private static func node(_ value: Double) -> Node {
        if value == value.rounded(), abs(value) < 1e15 { return Node(String(Int(value))) }
        return Node("\(value)")
    }

    private static func node(for reason: ReasonCode) -> Node {
        var pairs: [(Node, Node)] = [
            ("code", Node(reason.code)),
            ("zh", Node(reason.chinese, .implicit, .doubleQuoted)),
            ("en", Node(reason.english, .implicit, .doubleQuoted)),
        ]
        if reason.missingChinese != ReasonCode.defaultMissingChinese {
            pairs.append(("zh_missing", Node(reason.missingChinese, .implicit, .doubleQuoted)))
        }
        if reason.missingEnglish != ReasonCode.defaultMissingEnglish {
            pairs.append(("en_missing", Node(reason.missingEnglish, .implicit, .doubleQuoted)))
        }
        return Node(pairs, .implicit, .flow)
    }

    private static func quoted(_ values: [String]) -> Node {
        Node(values.map { Node($0, .implicit, .doubleQuoted) }, .implicit, .flow)
    }

    private static func node(for feature: ScorecardFeature) -> Node {
        var pairs: [(Node, Node)] = [("name", Node(feature.name))]
        switch feature.binning {
        case let .numeric(bins, specials):
            pairs.append(("kind", "numeric"))
            pairs.append(("missing", node(feature.missingPoints)))
            if !specials.isEmpty {
                pairs.append(("special", Node(specials.map {
                    Node([("value", node($0.value)), ("points", node($0.points))], .implicit, .flow)
                })))
            }
            pairs.append(("bins", Node(bins.map { bin in
                var entry: [(Node, Node)] = []
                if bin.lower.isFinite { entry.append(("from", node(bin.lower))) }
                if bin.upper.isFinite { entry.append(("to", node(bin.upper))) }
                entry.append(("points", node(bin.points)))
                return Node(entry, .implicit, .flow)
            })))
        case let .categorical(groups, other):
            pairs.append(("kind", "categorical"))
            pairs.append(("missing", node(feature.missingPoints)))
            pairs.append(("other", node(other)))
            pairs.append(("groups", Node(groups.map {
                Node([("values", quoted($0.values)), ("points", node($0.points))], .implicit, .flow)
            })))
        }
        pairs.append(("reason", node(for: feature.reason)))
        return Node(pairs)
    }

    private static func node(for rule: DeclineRule) -> Node {
        let condition: (Node, Node) = switch rule.condition {
        case let .isOneOf(values): ("in", quoted(values))
        case let .atLeast(bound): ("at_least", node(bound))
        case let .atMost(bound): ("at_most", node(bound))
        case let .equals(bound): ("equals", node(bound))
        }
        let pairs: [(Node, Node)] = [("feature", Node(rule.feature)), condition, ("reason", node(for: rule.reason))]
        return Node(pairs)
    }
}

extension YAMLReader {
    /// The card at `root`; `nil` after recording a diagnostic for each problem.
    fileprivate mutating func scorecard(_ root: Node) -> Scorecard? {
        guard let top = mapping(root, Scorecard.rootName, required: ["name", "version", "scaling", "grades"],
                                optional: ["intercept_points", "reason_count", "features", "segments", "decline_rules"])
        else { return nil }
        let scale = top["scaling"].flatMap { scaling($0) }
        var segments: [ScorecardSegment]?
        if let list = top["segments"] {
            if let stray = top["features"] ?? top["intercept_points"] {
                fail(stray, "a card with segments has its features and intercept_points in each segment")
            }
            segments = sequence(list, "segments").map { elements in
                elements.enumerated().compactMap { index, element in segment(element, "segments[\(index)]") }
            }
        } else if let features = top["features"] {
            let intercept = top["intercept_points"].map { number($0, "intercept_points") } ?? 0
            let decoded = self.features(features, "features")
            if let intercept, let decoded { segments = [ScorecardSegment(name: nil, interceptPoints: intercept, features: decoded)] }
        } else {
            fail(root, "\(Scorecard.rootName) is missing 'features' (or 'segments')")
        }
        let rules = top["decline_rules"].map { list in
            (sequence(list, "decline_rules") ?? []).enumerated().compactMap { index, element in declineRule(element, "decline_rules[\(index)]") }
        } ?? []
        let grades = top["grades"].flatMap { sequence($0, "grades") }.map { elements in
            elements.enumerated().compactMap { index, element in gradeBand(element, "grades[\(index)]") }
        }
        let name = string(top["name"], "name")
        let version = string(top["version"], "version")
        let reasonCount = top["reason_count"].map { int($0, "reason_count") } ?? ReasonList.capacity
        guard diagnostics.isEmpty, let name, let version, let scale, let reasonCount, let segments, let grades else { return nil }
        return Scorecard(name: name, version: version, scaling: scale, reasonCount: reasonCount,
                         segments: segments, declineRules: rules, grades: grades)
    }

    private mutating func scaling(_ node: Node) -> ScoreScaling? {
        guard let map = mapping(node, "scaling", required: ["base_points", "base_odds", "pdo"]) else { return nil }
        let basePoints = number(map["base_points"], "scaling.base_points")
        let baseOdds = number(map["base_odds"], "scaling.base_odds")
        let pdo = number(map["pdo"], "scaling.pdo")
        guard let basePoints, let baseOdds, let pdo else { return nil }
        return ScoreScaling(basePoints: basePoints, baseOdds: baseOdds, pointsToDoubleOdds: pdo)
    }

    private mutating func segment(_ node: Node, _ path: String) -> ScorecardSegment? {
        guard let map = mapping(node, path, required: ["name", "features"], optional: ["when_present", "intercept_points"]) else { return nil }
        let name = string(map["name"], "\(path).name")
        let whenPresent = map["when_present"].map { strings($0, "\(path).when_present")?.map(\.value) } ?? []
        let intercept = map["intercept_points"].map { number($0, "\(path).intercept_points") } ?? 0
        let features = map["features"].flatMap { self.features($0, "\(path).features") }
        guard let name, let whenPresent, let intercept, let features else { return nil }
        return ScorecardSegment(name: name, whenPresent: whenPresent, interceptPoints: intercept, features: features)
    }

    private mutating func features(_ node: Node, _ path: String) -> [ScorecardFeature]? {
        sequence(node, path).map { elements in
            elements.enumerated().compactMap { index, element in feature(element, "\(path)[\(index)]") }
        }
    }

    private mutating func feature(_ node: Node, _ path: String) -> ScorecardFeature? {
        // The keys of a feature are its kind's: the reader's own check names a stray or missing one.
        let common = ["name", "kind", "missing", "reason"]
        let (required, optional) = switch node.mapping?.first(where: { $0.key.scalar?.string == "kind" })?.value.scalar?.string {
        case "numeric"?: (common + ["bins"], ["special"])
        case "categorical"?: (common + ["groups", "other"], [])
        default: (common, ["bins", "special", "groups", "other"])
        }
        guard let map = mapping(node, path, required: required, optional: optional) else { return nil }
        let binning: ScorecardFeature.Binning?
        switch string(map["kind"], "\(path).kind") {
        case "numeric"?:
            let bins = map["bins"].flatMap { list in
                sequence(list, "\(path).bins").map { elements in
                    elements.enumerated().compactMap { index, element in numericBin(element, "\(path).bins[\(index)]") }
                }
            }
            let specials = (map["special"].flatMap { sequence($0, "\(path).special") } ?? []).enumerated().compactMap { index, element in
                specialValue(element, "\(path).special[\(index)]")
            }
            binning = bins.map { .numeric(bins: $0, specialValues: specials) }
        case "categorical"?:
            let groups = map["groups"].flatMap { list in
                sequence(list, "\(path).groups").map { elements in
                    elements.enumerated().compactMap { index, element in categoryGroup(element, "\(path).groups[\(index)]") }
                }
            }
            let other = number(map["other"], "\(path).other")
            binning = if let groups, let other { .categorical(groups: groups, otherPoints: other) } else { nil }
        case let kind?:
            fail(map["kind"], "\(path).kind must be numeric or categorical, not '\(kind)'")
            binning = nil
        case nil:
            binning = nil
        }
        let name = string(map["name"], "\(path).name")
        let missing = number(map["missing"], "\(path).missing")
        let reasonCode = map["reason"].flatMap { reason($0, "\(path).reason") }
        guard let name, let binning, let missing, let reasonCode else { return nil }
        return ScorecardFeature(name: name, binning: binning, missingPoints: missing, reason: reasonCode)
    }

    private mutating func numericBin(_ node: Node, _ path: String) -> ScorecardFeature.NumericBin? {
        guard let map = mapping(node, path, required: ["points"], optional: ["from", "to"]) else { return nil }
        let lower = map["from"].map { number($0, "\(path).from") } ?? -.infinity
        let upper = map["to"].map { number($0, "\(path).to") } ?? .infinity
        let points = number(map["points"], "\(path).points")
        guard let lower, let upper, let points else { return nil }
        return .init(lower: lower, upper: upper, points: points)
    }

    private mutating func specialValue(_ node: Node, _ path: String) -> ScorecardFeature.SpecialValue? {
        guard let map = mapping(node, path, required: ["value", "points"]) else { return nil }
        let value = number(map["value"], "\(path).value")
        let points = number(map["points"], "\(path).points")
        guard let value, let points else { return nil }
        return .init(value: value, points: points)
    }

    private mutating func categoryGroup(_ node: Node, _ path: String) -> ScorecardFeature.CategoryGroup? {
        guard let map = mapping(node, path, required: ["values", "points"]) else { return nil }
        let values = strings(map["values"], "\(path).values", allowingEmpty: true)
        let points = number(map["points"], "\(path).points")
        guard let values, let points else { return nil }
        return .init(values: values.map(\.value), points: points)
    }

    private mutating func reason(_ node: Node, _ path: String) -> ReasonCode? {
        guard let map = mapping(node, path, required: ["code", "zh", "en"], optional: ["zh_missing", "en_missing"]) else { return nil }
        let code = string(map["code"], "\(path).code")
        let chinese = string(map["zh"], "\(path).zh")
        let english = string(map["en"], "\(path).en")
        let missingChinese = map["zh_missing"].map { string($0, "\(path).zh_missing") } ?? ReasonCode.defaultMissingChinese
        let missingEnglish = map["en_missing"].map { string($0, "\(path).en_missing") } ?? ReasonCode.defaultMissingEnglish
        guard let code, let chinese, let english, let missingChinese, let missingEnglish else { return nil }
        return ReasonCode(code: code, chinese: chinese, english: english, missingChinese: missingChinese, missingEnglish: missingEnglish)
    }

    private mutating func declineRule(_ node: Node, _ path: String) -> DeclineRule? {
        guard let map = mapping(node, path, required: ["feature", "reason"], optional: ["in", "at_least", "at_most", "equals"]) else { return nil }
        let conditions = ["in", "at_least", "at_most", "equals"].filter { map[$0] != nil }
        var condition: DeclineRule.Condition?
        if conditions.count == 1, let key = conditions.first, let value = map[key] {
            condition = switch key {
            case "in": strings(value, "\(path).in", allowingEmpty: true).map { .isOneOf($0.map(\.value)) }
            case "at_least": number(value, "\(path).at_least").map { .atLeast($0) }
            case "at_most": number(value, "\(path).at_most").map { .atMost($0) }
            default: number(value, "\(path).equals").map { .equals($0) }
            }
        } else {
            fail(node, "\(path): a decline rule needs exactly one of in, at_least, at_most, equals")
        }
        let feature = string(map["feature"], "\(path).feature")
        let reasonCode = map["reason"].flatMap { reason($0, "\(path).reason") }
        guard let feature, let condition, let reasonCode else { return nil }
        return DeclineRule(feature: feature, condition: condition, reason: reasonCode)
    }

    private mutating func gradeBand(_ node: Node, _ path: String) -> GradeBand? {
        guard let map = mapping(node, path, required: ["grade", "pd"], optional: ["min"]) else { return nil }
        let grade = choice(map["grade"], "\(path).grade", as: Grade.self)
        let minimum = map["min"].map { int($0, "\(path).min", in: Int.min...Int.max) } ?? Int?.none
        let pd = number(map["pd"], "\(path).pd")
        guard let grade, let pd, map["min"] == nil || minimum != nil else { return nil }
        return GradeBand(grade: grade, minimumScore: minimum, probabilityOfDefault: pd)
    }
}
