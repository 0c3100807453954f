/// One difference a partner sees between two sets of contracts, as `contracts diff` lists it.
public struct ContractChange: Sendable, Hashable, CustomStringConvertible {
    /// Whether the partner is better off, worse off, or differently off.
    public enum Effect: String, Sendable, Hashable {
        case gains, loses, changes
    }

    public let partnerID: String
    public let effect: Effect
    /// What changed: `item market.tax_paid`, `purpose batch_review`, `quota per_day`, `receipts`, `contract`, …
    public let subject: String
    /// The old value, or `nil` where there was none.
    public let old: String?
    /// The new value, or `nil` where there is none.
    public let new: String?

    public var description: String {
        "\(partnerID) \(effect.rawValue) \(subject): \(old ?? "-") → \(new ?? "-")"
    }

    /// Every change from `old` to `new` contracts (one per partner each), by partner then subject.
    public static func between(old: [Contract], new: [Contract]) -> [ContractChange] {
        let before = Dictionary(old.map { ($0.partnerID, $0) }, uniquingKeysWith: { $1 })
        let after = Dictionary(new.map { ($0.partnerID, $0) }, uniquingKeysWith: { $1 })
        return Set(before.keys).union(after.keys).sorted().flatMap { partner in
            changes(partner, before[partner], after[partner])
        }
    }

    private static func changes(_ partner: String, _ old: Contract?, _ new: Contract?) -> [ContractChange] {
        guard let old, let new else {
            let effect: Effect = new == nil ? .loses : .gains
            return [ContractChange(partnerID: partner, effect: effect, subject: "contract", old: old?.version.description, new: new?.version.description)]
        }
        var changes: [ContractChange] = []
        func add(_ effect: Effect, _ subject: String, _ before: String?, _ after: String?) {
            changes.append(ContractChange(partnerID: partner, effect: effect, subject: subject, old: before, new: after))
        }
        if old.term != new.term {
            add(.changes, "term", "\(old.term.from)…\(old.term.to)", "\(new.term.from)…\(new.term.to)")
        }
        for purpose in Set(old.purposes).symmetricDifference(new.purposes).sorted() {
            let gained = new.purposes.contains(purpose)
            add(gained ? .gains : .loses, "purpose \(purpose)", gained ? nil : purpose, gained ? purpose : nil)
        }
        if old.maskingProfile != new.maskingProfile {
            add(.changes, "masking", old.maskingProfile, new.maskingProfile)
        }
        for (name, before, after) in [("per_day", old.quotas.perDay, new.quotas.perDay), ("per_month", old.quotas.perMonth, new.quotas.perMonth)]
        where before != after {
            let more = (after ?? .max) > (before ?? .max)
            add(more ? .gains : .loses, "quota \(name)", before.map(String.init) ?? "unlimited", after.map(String.init) ?? "unlimited")
        }
        if old.rateLimit != new.rateLimit {
            let faster = new.rateLimit.perSecond >= old.rateLimit.perSecond && new.rateLimit.burst >= old.rateLimit.burst
            add(faster ? .gains : .changes, "rate_limit", "\(old.rateLimit.perSecond)/s burst \(old.rateLimit.burst)",
                "\(new.rateLimit.perSecond)/s burst \(new.rateLimit.burst)")
        }
        if old.receiptSuite != new.receiptSuite {
            add(.changes, "receipts", old.receiptSuite.rawValue, new.receiptSuite.rawValue)
        }
        if old.prices != new.prices {
            add(.changes, "prices", old.prices.summary, new.prices.summary)
        }
        for item in Set(old.grants.keys).union(new.grants.keys).sorted() where old.grants[item] != new.grants[item] {
            let (before, after) = (old.grants[item], new.grants[item])
            add(effect(before, after), "item \(item)", describe(before), describe(after))
        }
        return changes
    }

    /// Whether going from `old` to `new` widens or narrows access to an item.
    private static func effect(_ old: ItemGrant?, _ new: ItemGrant?) -> Effect {
        func rank(_ grant: ItemGrant?) -> Int {
            switch grant {
            case nil, .none?: 0
            case .conditional?: 1
            case .unconditional?: 2
            }
        }
        if rank(old) != rank(new) { return rank(new) > rank(old) ? .gains : .loses }
        guard case .conditional(let before)? = old, case .conditional(let after)? = new else { return .changes }
        let wider = Set(after.purposes).isSuperset(of: before.purposes)
            && (!after.consentRequired || before.consentRequired)
            && (after.consentScope == .category || before.consentScope == .item)
        let narrower = Set(before.purposes).isSuperset(of: after.purposes)
            && (!before.consentRequired || after.consentRequired)
            && (before.consentScope == .category || after.consentScope == .item)
        return wider ? .gains : narrower ? .loses : .changes
    }

    /// `unconditional`, `none`, `not_in_contract` or the conditions of a conditional grant.
    public static func describe(_ grant: ItemGrant?) -> String {
        switch grant {
        case nil: "not_in_contract"
        case .unconditional?: "unconditional"
        case .none?: "none"
        case .conditional(let conditions)?:
            "conditional (purposes: \(conditions.purposes.joined(separator: ", ")); "
                + "consent \(conditions.consentRequired ? "required, \(conditions.consentScope.rawValue) scope" : "not required"))"
        }
    }
}
