import Formats
import Yams

/// The negotiable part of a contract as one file states it (a contract or a kind's defaults), before merging.
struct ContractTerms: Sendable {
    /// A class as stated; conditional purposes may be left to the contract's purposes.
    enum Statement: Sendable {
        case unconditional
        case none
        case conditional(purposes: [String]?, consentRequired: Bool, consentScope: ItemGrant.ConsentScope)
    }

    /// Where an item named nowhere falls.
    enum Fallback: String, Sendable, CaseIterable {
        case catalog
        case notInContract = "not_in_contract"
    }

    /// A stated class with the line it was stated on.
    struct Located<Value: Sendable>: Sendable {
        let value: Value
        let file: String
        let line: Int
    }

    static let keys = ["purposes", "masking", "quotas", "rate_limit", "prices", "fallback", "categories", "items", "receipts"]

    var purposes: [String]?
    var masking: String?
    var perDay: Int?
    var perMonth: Int?
    var rateLimit: Contract.RateLimit?
    var perCall: Int?
    var itemPrices: [String: Int] = [:]
    var perBatchSubject: Int?
    var freeCalls: Int?
    var tiers: [Contract.Prices.Tier]?
    var fallback: Fallback?
    var receipts: ReceiptSuite?
    var categories: [String: Located<Statement>] = [:]
    var items: [String: Located<Statement>] = [:]

    /// These terms' settings over `defaults`: whole values replace, prices replace item by item.
    /// Classes are not merged: a contract looks them up layer by layer (see `partner-defaults.yaml`).
    func settings(over defaults: ContractTerms) -> ContractTerms {
        var result = self
        result.purposes = purposes ?? defaults.purposes
        result.masking = masking ?? defaults.masking
        result.perDay = perDay ?? defaults.perDay
        result.perMonth = perMonth ?? defaults.perMonth
        result.rateLimit = rateLimit ?? defaults.rateLimit
        result.perCall = perCall ?? defaults.perCall
        result.perBatchSubject = perBatchSubject ?? defaults.perBatchSubject
        result.freeCalls = freeCalls ?? defaults.freeCalls
        result.tiers = tiers ?? defaults.tiers
        result.fallback = fallback ?? defaults.fallback
        result.receipts = receipts ?? defaults.receipts
        result.itemPrices = defaults.itemPrices.merging(itemPrices) { _, mine in mine }
        return result
    }
}

extension YAMLReader {
    /// Reads the terms keys of `map`, checking every name against the policies.
    mutating func contractTerms(
        _ map: YAMLMapping, _ what: String, catalog: Catalog, masking: MaskingPolicy, purposes known: PurposeCatalog
    ) -> ContractTerms {
        var terms = ContractTerms()
        if let list = strings(map["purposes"], "\(what) purposes") {
            terms.purposes = purposeNames(list, "\(what) purposes", known)
        }
        if let profile = string(map["masking"], "\(what) masking") {
            if masking.profiles[profile] == nil {
                let names = masking.profiles.keys.sorted().joined(separator: ", ")
                fail(map["masking"], "\(what) masking names unknown masking profile '\(profile)' (known: \(names))")
            }
            terms.masking = profile
        }
        if let node = map["quotas"], let quotas = mapping(node, "\(what) quotas", optional: ["per_day", "per_month"]) {
            terms.perDay = int(quotas["per_day"], "\(what) quotas per_day", in: 1...Int(Int32.max))
            terms.perMonth = int(quotas["per_month"], "\(what) quotas per_month", in: 1...Int(Int32.max))
            if let day = terms.perDay, let month = terms.perMonth, month < day {
                fail(node, "\(what) quotas per_month (\(month)) is below per_day (\(day))")
            }
        }
        if let node = map["rate_limit"], let limit = mapping(node, "\(what) rate_limit", required: ["per_second", "burst"]),
           let perSecond = int(limit["per_second"], "\(what) rate_limit per_second", in: 1...100_000),
           let burst = int(limit["burst"], "\(what) rate_limit burst", in: 1...1_000_000) {
            if burst < perSecond { fail(node, "\(what) rate_limit burst (\(burst)) is below per_second (\(perSecond))") }
            terms.rateLimit = Contract.RateLimit(perSecond: perSecond, burst: burst)
        }
        if let node = map["prices"] {
            rates(node, what, catalog: catalog, into: &terms)
        }
        terms.fallback = choice(map["fallback"], "\(what) fallback", as: ContractTerms.Fallback.self)
        terms.receipts = choice(map["receipts"], "\(what) receipts", as: ReceiptSuite.self)
        for (category, keyNode, value) in map["categories"].flatMap({ entries($0, "\(what) categories") }) ?? [] {
            if catalog.category(category) == nil { fail(keyNode, "\(what) names unknown category '\(category)'") }
            terms.categories[category] = statement(value, "\(what) category '\(category)'", known)
        }
        for (item, keyNode, value) in map["items"].flatMap({ entries($0, "\(what) items") }) ?? [] {
            if catalog.item(item) == nil { fail(keyNode, "\(what) names unknown item '\(item)'") }
            terms.items[item] = statement(value, "\(what) item '\(item)'", known)
        }
        return terms
    }

    private mutating func purposeNames(_ list: [(value: String, node: Node)], _ what: String, _ known: PurposeCatalog) -> [String] {
        for (purpose, node) in list where known.titles[purpose] == nil {
            fail(node, "\(what) names unknown purpose '\(purpose)' (known: \(known.ids.joined(separator: ", ")))")
        }
        return list.map(\.value)
    }

    /// The rate plan (`prices`): per call, per disclosed item, per batch-review subject, a free
    /// allowance and volume tiers, in CNY.
    private mutating func rates(_ node: Node, _ what: String, catalog: Catalog, into terms: inout ContractTerms) {
        let keys = ["currency", "per_call", "items", "per_batch_subject", "free_calls", "tiers"]
        guard let prices = mapping(node, "\(what) prices", optional: keys) else { return }
        if let currency = string(prices["currency"], "\(what) prices currency"), currency != Money.currency {
            fail(prices["currency"], "\(what) prices currency must be \(Money.currency): the broker bills in renminbi only")
        }
        terms.perCall = fen(prices["per_call"], "\(what) prices per_call")
        for (item, keyNode, value) in prices["items"].flatMap({ entries($0, "\(what) prices items") }) ?? [] {
            if catalog.item(item) == nil { fail(keyNode, "\(what) prices names unknown item '\(item)'") }
            terms.itemPrices[item] = fen(value, "\(what) price of '\(item)'")
        }
        terms.perBatchSubject = fen(prices["per_batch_subject"], "\(what) prices per_batch_subject")
        terms.freeCalls = int(prices["free_calls"], "\(what) prices free_calls", in: 0...Int(Int32.max))
        guard let tiersNode = prices["tiers"], let elements = sequence(tiersNode, "\(what) prices tiers") else { return }
        guard elements.count <= Self.maximumTiers else {
            fail(tiersNode, "\(what) prices tiers lists \(elements.count) tiers; at most \(Self.maximumTiers)")
            return
        }
        var tiers: [Contract.Prices.Tier] = []
        for element in elements {
            let tier = "\(what) prices tier \(tiers.count + 1)"
            guard let map = mapping(element, tier, required: ["from", "per_call"]),
                  let from = int(map["from"], "\(tier) from", in: 2...Int(Int32.max)),
                  let price = fen(map["per_call"], "\(tier) per_call")
            else { continue }
            if let previous = tiers.last, from <= previous.from {
                fail(map["from"], "\(tier) from (\(from)) must be above the previous tier's (\(previous.from)): tiers go up by monthly volume")
                continue
            }
            if let free = terms.freeCalls, from <= free {
                fail(map["from"], "\(tier) from (\(from)) must be above free_calls (\(free)): the free calls come first")
                continue
            }
            tiers.append(Contract.Prices.Tier(from: from, perCall: price))
        }
        terms.tiers = tiers
    }

    /// Most volume tiers in one rate plan.
    static let maximumTiers = 20
    /// The highest price of one unit a plan may state: 1,000,000 CNY (so no month's amount can overflow).
    static let maximumPrice = Money(fen: 100_000_000)

    /// A price in CNY with at most two decimals, as fen.
    private mutating func fen(_ node: Node?, _ what: String) -> Int? {
        guard let text = string(node, what) else { return nil }
        guard let money = Money(yuan: text) else {
            fail(node, "\(what) must be an amount in CNY with at most two decimals, not '\(text)'")
            return nil
        }
        guard money <= Self.maximumPrice else {
            fail(node, "\(what) must be at most \(Self.maximumPrice) CNY, not '\(text)'")
            return nil
        }
        return Int(money.fen)
    }

    private mutating func statement(_ node: Node, _ what: String, _ known: PurposeCatalog) -> ContractTerms.Located<ContractTerms.Statement>? {
        let (file, line) = (file, node.mark?.line ?? 0)
        let located = { (value: ContractTerms.Statement) in ContractTerms.Located(value: value, file: file, line: line) }
        if let scalar = node.scalar {
            switch scalar.string {
            case "unconditional": return located(.unconditional)
            case "none": return located(.none)
            case "conditional":
                fail(node, "\(what) is conditional without conditions: write { class: conditional, purposes: [...], consent: required }")
            default:
                fail(node, "\(what) class must be unconditional, none or a conditional mapping, not '\(scalar.string)'")
            }
            return nil
        }
        guard let map = mapping(node, what, required: ["class"], optional: ["purposes", "consent", "consent_scope"]),
              let sharing = choice(map["class"], "\(what) class", as: SharingClass.self)
        else { return nil }
        guard sharing == .conditional else {
            for key in ["purposes", "consent", "consent_scope"] {
                if let extra = map[key] { fail(extra, "\(what) is \(sharing.rawValue) and takes no '\(key)'") }
            }
            return located(sharing == .none ? .none : .unconditional)
        }
        if map["purposes"] == nil, map["consent"] == nil {
            fail(node, "\(what) is conditional without conditions: state 'purposes', 'consent' or both")
            return nil
        }
        let purposes = strings(map["purposes"], "\(what) purposes").map { purposeNames($0, "\(what) purposes", known) }
        if purposes?.isEmpty == true { fail(map["purposes"], "\(what) purposes must not be empty") }
        var consentRequired = false
        if let consent = string(map["consent"], "\(what) consent") {
            switch consent {
            case "required": consentRequired = true
            case "not_required": consentRequired = false
            default: fail(map["consent"], "\(what) consent must be required or not_required, not '\(consent)'")
            }
        }
        let scope = choice(map["consent_scope"], "\(what) consent_scope", as: ItemGrant.ConsentScope.self) ?? .item
        return located(.conditional(purposes: purposes, consentRequired: consentRequired, consentScope: scope))
    }
}
