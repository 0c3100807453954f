import Yams

extension Scorecard {
    /// Parses and validates a card from YAML text (the caller reads the file). Errors carry the
    /// card path and the YAML line.
    public init(yaml text: String) throws(ScorecardError) {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ScorecardError(path: "", message: "the document is empty")
            }
            root = node
        } catch let error as ScorecardError {
            throw error
        } catch let error as YamlError {
            throw ScorecardError(path: "", line: Self.line(of: error), message: "not valid YAML: \(error)")
        } catch {
            throw ScorecardError(path: "", message: "not valid YAML: \(error)")
        }
        let lines = YAMLCursor.LineBook()
        let cursor = YAMLCursor(node: root, path: "", lines: lines)
        self = try Self.decode(cursor)
        do {
            try validate()
        } catch var error {
            error.line = Self.nearestLine(of: error.path, in: lines.lines)
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

    private static func decode(_ root: YAMLCursor) throws(ScorecardError) -> Scorecard {
        let top = try root.mapping(allowing: [
            "name", "version", "scaling", "intercept_points", "reason_count", "features", "segments", "decline_rules", "grades",
        ])
        let scalingCursor = try top.required("scaling", in: root)
        let scalingMap = try scalingCursor.mapping(allowing: ["base_points", "base_odds", "pdo"])
        let scaling = ScoreScaling(
            basePoints: try scalingMap.required("base_points", in: scalingCursor).number(),
            baseOdds: try scalingMap.required("base_odds", in: scalingCursor).number(),
            pointsToDoubleOdds: try scalingMap.required("pdo", in: scalingCursor).number()
        )
        var segments: [ScorecardSegment] = []
        if let list = top["segments"] {
            if let stray = top["features"] ?? top["intercept_points"] {
                throw stray.error("a card with segments has its features and intercept_points in each segment")
            }
            for element in try list.elements() {
                let map = try element.mapping(allowing: ["name", "when_present", "intercept_points", "features"])
                segments.append(ScorecardSegment(
                    name: try map.required("name", in: element).string(),
                    whenPresent: try map["when_present"]?.strings() ?? [],
                    interceptPoints: try map["intercept_points"]?.number() ?? 0,
                    features: try decodeFeatures(try map.required("features", in: element))
                ))
            }
        } else {
            segments = [ScorecardSegment(
                name: nil, interceptPoints: try top["intercept_points"]?.number() ?? 0,
                features: try decodeFeatures(try top.required("features", in: root))
            )]
        }
        var rules: [DeclineRule] = []
        for element in try top["decline_rules"]?.elements() ?? [] {
            rules.append(try decodeRule(element))
        }
        var grades: [GradeBand] = []
        for element in try top.required("grades", in: root).elements() {
            let map = try element.mapping(allowing: ["grade", "min", "pd"])
            let gradeCursor = try map.required("grade", in: element)
            let name = try gradeCursor.string()
            guard let grade = Grade(rawValue: name) else { throw gradeCursor.error("unknown grade \(name)") }
            grades.append(GradeBand(
                grade: grade, minimumScore: try map["min"]?.integer(),
                probabilityOfDefault: try map.required("pd", in: element).number()
            ))
        }
        return Scorecard(
            name: try top.required("name", in: root).string(),
            version: try top.required("version", in: root).string(),
            scaling: scaling,
            reasonCount: try top["reason_count"]?.integer() ?? ReasonList.capacity,
            segments: segments, declineRules: rules, grades: grades
        )
    }

    private static func decodeFeatures(_ list: YAMLCursor) throws(ScorecardError) -> [ScorecardFeature] {
        var features: [ScorecardFeature] = []
        for element in try list.elements() { features.append(try decodeFeature(element)) }
        return features
    }

    private static func decodeFeature(_ cursor: YAMLCursor) throws(ScorecardError) -> ScorecardFeature {
        let map = try cursor.mapping(allowing: ["name", "kind", "missing", "bins", "special", "groups", "other", "reason"])
        let kindCursor = try map.required("kind", in: cursor)
        let binning: ScorecardFeature.Binning
        switch try kindCursor.string() {
        case "numeric":
            if let stray = map["groups"] ?? map["other"] { throw stray.error("only categorical features have groups and other") }
            var bins: [ScorecardFeature.NumericBin] = []
            for element in try map.required("bins", in: cursor).elements() {
                let bin = try element.mapping(allowing: ["from", "to", "points"])
                bins.append(.init(
                    lower: try bin["from"]?.number() ?? -.infinity,
                    upper: try bin["to"]?.number() ?? .infinity,
                    points: try bin.required("points", in: element).number()
                ))
            }
            var specials: [ScorecardFeature.SpecialValue] = []
            for element in try map["special"]?.elements() ?? [] {
                let special = try element.mapping(allowing: ["value", "points"])
                specials.append(.init(
                    value: try special.required("value", in: element).number(),
                    points: try special.required("points", in: element).number()
                ))
            }
            binning = .numeric(bins: bins, specialValues: specials)
        case "categorical":
            if let stray = map["bins"] ?? map["special"] { throw stray.error("only numeric features have bins and special values") }
            var groups: [ScorecardFeature.CategoryGroup] = []
            for element in try map.required("groups", in: cursor).elements() {
                let group = try element.mapping(allowing: ["values", "points"])
                groups.append(.init(
                    values: try group.required("values", in: element).strings(),
                    points: try group.required("points", in: element).number()
                ))
            }
            binning = .categorical(groups: groups, otherPoints: try map.required("other", in: cursor).number())
        case let other:
            throw kindCursor.error("kind must be numeric or categorical, found \"\(other)\"")
        }
        return ScorecardFeature(
            name: try map.required("name", in: cursor).string(),
            binning: binning,
            missingPoints: try map.required("missing", in: cursor).number(),
            reason: try decodeReason(try map.required("reason", in: cursor))
        )
    }

    private static func decodeReason(_ cursor: YAMLCursor) throws(ScorecardError) -> ReasonCode {
        let map = try cursor.mapping(allowing: ["code", "zh", "en", "zh_missing", "en_missing"])
        return ReasonCode(
            code: try map.required("code", in: cursor).string(),
            chinese: try map.required("zh", in: cursor).string(),
            english: try map.required("en", in: cursor).string(),
            missingChinese: try map["zh_missing"]?.string() ?? ReasonCode.defaultMissingChinese,
            missingEnglish: try map["en_missing"]?.string() ?? ReasonCode.defaultMissingEnglish
        )
    }

    private static func decodeRule(_ cursor: YAMLCursor) throws(ScorecardError) -> DeclineRule {
        let map = try cursor.mapping(allowing: ["feature", "in", "at_least", "at_most", "equals", "reason"])
        let conditions = ["in", "at_least", "at_most", "equals"].filter { map[$0] != nil }
        guard conditions.count == 1, let key = conditions.first, let value = map[key] else {
            throw cursor.error("a decline rule needs exactly one of in, at_least, at_most, equals")
        }
        let condition: DeclineRule.Condition = switch key {
        case "in": .isOneOf(try value.strings())
        case "at_least": .atLeast(try value.number())
        case "at_most": .atMost(try value.number())
        default: .equals(try value.number())
        }
        return DeclineRule(
            feature: try map.required("feature", in: cursor).string(),
            condition: condition,
            reason: try decodeReason(try map.required("reason", in: cursor))
        )
    }

    /// The line of `path`, or of its nearest recorded ancestor.
    private static func nearestLine(of path: String, in lines: [String: Int]) -> Int? {
        var candidate = Substring(path)
        while true {
            if let line = lines[String(candidate)] { return line }
            guard let cut = candidate.lastIndex(where: { $0 == "." || $0 == "[" }) else { return lines[""] }
            candidate = candidate[..<cut]
        }
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case let .scanner(_, _, mark, _), let .parser(_, _, mark, _), let .composer(_, _, mark, _):
            return mark.line
        default:
            return nil
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
