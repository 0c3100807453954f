import Formats
import Yams

extension Catalog {
    /// Parses the catalog from YAML `text` that the caller read from `file`.
    ///
    /// - Parameter knownMaskRules: the rule names of the masking policy; every field's `mask` must be one
    ///   of them. Pass `nil` only when no masking policy is at hand (the reference is then unchecked).
    /// - Throws: `PolicyError` listing every problem as `file:line: message`.
    public init(yaml text: String, file: String, knownMaskRules: Set<String>?) throws(PolicyError) {
        var reader = YAMLReader(file: file)
        guard let root = reader.root(of: text),
              let top = reader.mapping(root, "the catalog", required: ["version", "sources", "categories", "penalty_regimes", "items"])
        else { throw PolicyError(reader.diagnostics) }
        let version = reader.string(top["version"], "version") ?? ""
        let sources = top["sources"].map { reader.sources($0) } ?? []
        let categories = top["categories"].map { reader.categories($0) } ?? []
        let regimes = top["penalty_regimes"].map { reader.penaltyRegimes($0) } ?? []
        let context = ItemContext(
            sources: Set(sources.map(\.id)),
            categories: Set(categories.map(\.id)),
            maskRules: knownMaskRules
        )
        let items = top["items"].map { reader.items($0, context) } ?? []
        guard reader.diagnostics.isEmpty else { throw PolicyError(reader.diagnostics) }
        self.init(version: version, sources: sources, categories: categories, penaltyRegimes: regimes, items: items)
    }
}

/// Names an item may refer to.
private struct ItemContext {
    let sources: Set<String>
    let categories: Set<String>
    let maskRules: Set<String>?
}

extension YAMLReader {
    fileprivate mutating func sources(_ node: Node) -> [DataSource] {
        (entries(node, "sources") ?? []).compactMap { id, _, value in
            guard let map = mapping(value, "source '\(id)'", required: ["title", "kind"]),
                  let title = string(map["title"], "source '\(id)' title"),
                  let kind = choice(map["kind"], "source '\(id)' kind", as: DataSource.Kind.self)
            else { return nil }
            return DataSource(id: id, title: title, kind: kind)
        }
    }

    fileprivate mutating func categories(_ node: Node) -> [DataCategory] {
        (entries(node, "categories") ?? []).compactMap { id, _, value in
            string(value, "category '\(id)' title").map { DataCategory(id: id, title: $0) }
        }
    }

    fileprivate mutating func penaltyRegimes(_ node: Node) -> [PenaltyRegime] {
        let severities = PenaltyRegime.Severity.allCases.map(\.rawValue)
        var regimes: [PenaltyRegime] = []
        for element in sequence(node, "penalty_regimes") ?? [] {
            guard let map = mapping(element, "a penalty regime", required: ["name"] + severities, optional: ["from", "until"]),
                  let name = string(map["name"], "penalty regime name")
            else { continue }
            let what = "penalty regime '\(name)'"
            let from = date(map["from"], "\(what) from")
            let until = date(map["until"], "\(what) until")
            if let from, let until, until <= from {
                fail(element, "\(what) ends (\(until)) before it starts (\(from))")
            }
            if let previous = regimes.last, previous.until == nil || previous.until != from {
                fail(element, "\(what) must start on the day the previous regime ends, so that every decision date has one regime")
            }
            var periods: [PenaltyRegime.Severity: PenaltyRegime.Periods] = [:]
            for severity in PenaltyRegime.Severity.allCases {
                guard let value = map[severity.rawValue],
                      let periodMap = mapping(value, "\(what) \(severity.rawValue)", required: ["minimum", "maximum"]),
                      let minimum = period(periodMap["minimum"], "\(what) \(severity.rawValue) minimum"),
                      let maximum = period(periodMap["maximum"], "\(what) \(severity.rawValue) maximum")
                else { continue }
                periods[severity] = .init(minimum: minimum, maximum: maximum)
            }
            regimes.append(PenaltyRegime(name: name, from: from, until: until, periods: periods))
        }
        return regimes
    }

    fileprivate mutating func items(_ node: Node, _ context: ItemContext) -> [DataItem] {
        var items: [DataItem] = []
        var seen: [String: Int] = [:]
        for element in sequence(node, "items") ?? [] {
            let keys = ["id", "title", "subject", "source", "category", "sensitivity", "sharing", "disclosure", "fields"]
            guard let map = mapping(element, "an item", required: keys, optional: ["alert_on_new_record"]), let id = string(map["id"], "item id") else { continue }
            if let line = seen[id] {
                fail(map["id"], "duplicate item id '\(id)' (first defined on line \(line))")
                continue
            }
            seen[id] = map["id"]?.mark?.line ?? 0
            let what = "item '\(id)'"
            let title = string(map["title"], "\(what) title")
            let subject = choice(map["subject"], "\(what) subject", as: SubjectKind.self)
            let source = name(map["source"], "\(what) source", in: context.sources, kind: "source")
            let category = name(map["category"], "\(what) category", in: context.categories, kind: "category")
            let sensitivity = choice(map["sensitivity"], "\(what) sensitivity", as: Sensitivity.self)
            let sharing = choice(map["sharing"], "\(what) sharing", as: SharingClass.self)
            let disclosure = map["disclosure"].flatMap { disclosureRule($0, what) }
            let fields = map["fields"].map { fieldSpecs($0, what, maskRules: context.maskRules) } ?? []
            let alerts = map["alert_on_new_record"].map { bool($0, "\(what) alert_on_new_record") } ?? false
            if disclosure?.kind == .penaltySeverity {
                checkSeverityField(fields, what, at: map["fields"])
            }
            guard let title, let subject, let source, let category, let sensitivity, let sharing, let disclosure, let alerts else { continue }
            items.append(DataItem(
                id: id, title: title, subject: subject, source: source, category: category,
                sensitivity: sensitivity, sharing: sharing, disclosure: disclosure, fields: fields,
                alertsOnNewRecords: alerts
            ))
        }
        return items
    }

    /// A reference to a name defined elsewhere in the file.
    private mutating func name(_ node: Node?, _ what: String, in known: Set<String>, kind: String) -> String? {
        guard let value = string(node, what) else { return nil }
        guard known.contains(value) else {
            fail(node, "\(what) names unknown \(kind) '\(value)'")
            return nil
        }
        return value
    }

    private mutating func disclosureRule(_ node: Node, _ what: String) -> DisclosureRule? {
        guard let map = mapping(node, "\(what) disclosure", required: ["rule", "disputed"], optional: ["period"]),
              let rule = string(map["rule"], "\(what) disclosure rule")
        else { return nil }
        let disputed = choice(map["disputed"], "\(what) disclosure disputed", as: DisclosureRule.DisputedHandling.self)
        let kind: DisclosureRule.Kind?
        switch rule {
        case "always": kind = .always
        case "penalty_severity": kind = .penaltySeverity
        case "publicity_window": kind = .publicityWindow
        case "fixed_period":
            if map["period"] == nil { fail(node, "\(what) disclosure rule fixed_period needs a 'period'") }
            kind = period(map["period"], "\(what) disclosure period").map(DisclosureRule.Kind.fixedPeriod)
        default:
            fail(map["rule"], "\(what) disclosure rule must be one of always, penalty_severity, fixed_period, publicity_window, not '\(rule)'")
            kind = nil
        }
        if rule != "fixed_period", let extra = map["period"] {
            fail(extra, "\(what) disclosure rule \(rule) takes no 'period'")
        }
        guard let kind, let disputed else { return nil }
        return DisclosureRule(kind: kind, disputed: disputed)
    }

    private mutating func fieldSpecs(_ node: Node, _ what: String, maskRules: Set<String>?) -> [FieldSpec] {
        (entries(node, "\(what) fields") ?? []).compactMap { name, _, value in
            let field = "\(what) field '\(name)'"
            guard let map = mapping(value, field, required: ["type"], optional: ["values", "mask", "required"]),
                  let type = choice(map["type"], "\(field) type", as: FieldSpec.FieldType.self)
            else { return nil }
            let values = strings(map["values"], "\(field) values")?.map(\.value) ?? []
            if type == .enum, values.isEmpty { fail(value, "\(field) of type enum needs a non-empty 'values' list") }
            if type != .enum, let node = map["values"] { fail(node, "\(field) of type \(type.rawValue) takes no 'values'") }
            let mask = string(map["mask"], "\(field) mask")
            if let mask, let maskRules, !maskRules.contains(mask) {
                fail(map["mask"], "\(field) mask names unknown masking rule '\(mask)'")
            }
            let required = bool(map["required"], "\(field) required") ?? false
            return FieldSpec(name: name, type: type, values: values, mask: mask, required: required)
        }
    }

    private mutating func checkSeverityField(_ fields: [FieldSpec], _ what: String, at node: Node?) {
        let allowed = Set(PenaltyRegime.Severity.allCases.map(\.rawValue))
        guard let severity = fields.first(where: { $0.name == "severity" }),
              severity.type == .enum, Set(severity.values).isSubset(of: allowed)
        else {
            fail(node, "\(what) uses penalty_severity and needs an enum field 'severity' with values among minor, general, serious")
            return
        }
    }
}
