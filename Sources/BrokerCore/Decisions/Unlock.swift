/// What would turn a withheld item into a disclosed one: machine-readable, with an English `text`.
///
/// In JSON, a `kind` in snake_case and its fields beside it, as partners read it in a withheld
/// item: `{"kind":"consent","item":"market.tax_paid","purpose":"credit_approval"}`,
/// `{"kind":"contract_change"}`, `{"kind":"contract_term","starts_on":"2027-01-01"}`,
/// `{"kind":"next_quota_period","starts_on":"2026-12-01"}`, `{"kind":"reinstatement"}`.
public enum Unlock: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A (new) consent of the subject covering `item` for `purpose`.
    case consent(item: String, purpose: String)
    /// A change of the partner's contract.
    case contractChange
    /// The contract term that starts on this day.
    case contractTerm(startsOn: CivilDate)
    /// The next quota period, starting on this day (China time).
    case nextQuotaPeriod(startsOn: CivilDate)
    /// Reinstatement of the partner by a platform administrator.
    case reinstatement

    /// English text for people.
    public var text: String {
        switch self {
        case let .consent(item, purpose): "a consent covering \(item) for purpose \(purpose)"
        case .contractChange: "a contract change"
        case .contractTerm(let day): "the contract term starting \(day)"
        case .nextQuotaPeriod(let day): "the next quota period starting \(day)"
        case .reinstatement: "reinstatement of the partner by a platform administrator"
        }
    }

    public var description: String { text }
}

extension Unlock {
    private enum Kind: String, Codable {
        case consent, contractChange = "contract_change", contractTerm = "contract_term"
        case nextQuotaPeriod = "next_quota_period", reinstatement
    }

    private enum CodingKeys: String, CodingKey { case kind, item, purpose, startsOn = "starts_on" }

    /// The form Swift's synthesized coding wrote before 2026-12-05 (`{"contractChange":{}}`,
    /// `{"contractTerm":{"startsOn":"2027-01-01"}}`), still read: batch reviews keep their
    /// decision as JSON until their worker has answered every subject.
    private enum LegacyKeys: String, CodingKey { case consent, contractChange, contractTerm, nextQuotaPeriod, reinstatement }
    private enum LegacyFields: String, CodingKey { case item, purpose, startsOn }

    private init?(legacy decoder: any Decoder) throws {
        guard let container = try? decoder.container(keyedBy: LegacyKeys.self), let key = container.allKeys.first,
              container.allKeys.count == 1
        else { return nil }
        let fields = try container.nestedContainer(keyedBy: LegacyFields.self, forKey: key)
        switch key {
        case .consent: self = .consent(item: try fields.decode(String.self, forKey: .item), purpose: try fields.decode(String.self, forKey: .purpose))
        case .contractChange: self = .contractChange
        case .contractTerm: self = .contractTerm(startsOn: try fields.decode(CivilDate.self, forKey: .startsOn))
        case .nextQuotaPeriod: self = .nextQuotaPeriod(startsOn: try fields.decode(CivilDate.self, forKey: .startsOn))
        case .reinstatement: self = .reinstatement
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if !container.contains(.kind), let legacy = try Self(legacy: decoder) {
            self = legacy
            return
        }
        switch try container.decode(Kind.self, forKey: .kind) {
        case .consent:
            self = .consent(item: try container.decode(String.self, forKey: .item), purpose: try container.decode(String.self, forKey: .purpose))
        case .contractChange: self = .contractChange
        case .contractTerm: self = .contractTerm(startsOn: try container.decode(CivilDate.self, forKey: .startsOn))
        case .nextQuotaPeriod: self = .nextQuotaPeriod(startsOn: try container.decode(CivilDate.self, forKey: .startsOn))
        case .reinstatement: self = .reinstatement
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .consent(item, purpose):
            try container.encode(Kind.consent, forKey: .kind)
            try container.encode(item, forKey: .item)
            try container.encode(purpose, forKey: .purpose)
        case .contractChange: try container.encode(Kind.contractChange, forKey: .kind)
        case .contractTerm(let day):
            try container.encode(Kind.contractTerm, forKey: .kind)
            try container.encode(day, forKey: .startsOn)
        case .nextQuotaPeriod(let day):
            try container.encode(Kind.nextQuotaPeriod, forKey: .kind)
            try container.encode(day, forKey: .startsOn)
        case .reinstatement: try container.encode(Kind.reinstatement, forKey: .kind)
        }
    }
}
