import Formats
import Yams

extension Contract {
    /// Parses one contract file and applies its kind's defaults from `policies`.
    /// - Throws: `PolicyError` listing every problem as `file:line: message`.
    public init(yaml text: String, file: String, policies: PolicyBundle) throws(PolicyError) {
        self = try ContractSource(yaml: text, file: file, policies: policies).contract
    }
}

extension Contract {
    /// The catalog source a data-source partner (`source.<source id>`) answers for, if `partnerID` names one.
    public static func dataSource(of partnerID: String, in catalog: Catalog) -> String? {
        guard partnerID.hasPrefix("source.") else { return nil }
        let id = String(partnerID.dropFirst("source.".count))
        return catalog.sources.contains { $0.id == id } ? id : nil
    }
}

extension ContractSource {
    static let identityKeys = ["partner", "legal_name", "kind", "version", "term", "authentication"]

    init(yaml text: String, file: String, policies: PolicyBundle) throws(PolicyError) {
        var reader = YAMLReader(file: file)
        guard let root = reader.root(of: text),
              let map = reader.mapping(root, "the contract", required: Self.identityKeys, optional: ContractTerms.keys)
        else { throw PolicyError(reader.diagnostics) }
        let partner = reader.partnerID(map["partner"])
        let legalName = reader.string(map["legal_name"], "legal_name")
        let kind = reader.choice(map["kind"], "kind", as: PartnerKind.self)
        let label = reader.string(map["version"], "version")
        let term = map["term"].flatMap { reader.term($0) }
        var credentialLines: [String: Int] = [:]
        let authentication = map["authentication"].flatMap { reader.authentication($0, kind: kind, lines: &credentialLines) }
        let stated = reader.contractTerms(map, "the contract", catalog: policies.catalog, masking: policies.masking, purposes: policies.purposes)
        if kind == .dataSource, let partner, Contract.dataSource(of: partner, in: policies.catalog) == nil {
            reader.fail(map["partner"], "a data_source partner is named source.<a catalog source id>, e.g. source.\(policies.catalog.sources.first?.id ?? "jiangsu_public_credit")")
        }
        guard reader.diagnostics.isEmpty, let partner, let legalName, let kind, let label, let term, let authentication,
              let defaults = policies.defaults.terms[kind]
        else { throw PolicyError(reader.diagnostics) }
        let settings = stated.settings(over: defaults)
        let purposes = (settings.purposes ?? []).sorted()
        let grants = reader.grants(layers: [stated, defaults], fallback: settings.fallback ?? .notInContract, purposes: purposes, catalog: policies.catalog)
        guard reader.diagnostics.isEmpty, let masking = settings.masking, let rateLimit = settings.rateLimit else {
            throw PolicyError(reader.diagnostics)
        }
        let contract = Contract(
            partnerID: partner, legalName: legalName, kind: kind, versionLabel: label, term: term,
            authentication: authentication, purposes: purposes, maskingProfile: masking,
            quotas: Contract.Quotas(perDay: settings.perDay, perMonth: settings.perMonth), rateLimit: rateLimit,
            prices: Contract.Prices(
                perCall: settings.perCall ?? 0, perItem: settings.itemPrices, perBatchSubject: settings.perBatchSubject,
                freeCalls: settings.freeCalls, tiers: settings.tiers
            ),
            grants: grants,
            receipts: settings.receipts == .ed25519 ? nil : settings.receipts
        )
        self.init(contract: contract, file: file, partnerLine: map["partner"]?.mark?.line ?? 0, credentialLines: credentialLines)
    }
}

extension YAMLReader {
    fileprivate mutating func partnerID(_ node: Node?) -> String? {
        guard let id = string(node, "partner") else { return nil }
        guard Contract.isValidPartnerID(id) else {
            fail(node, "partner id must be lowercase letters, digits, '.', '_' or '-', starting with a letter, at most 64 long")
            return nil
        }
        return id
    }

    fileprivate mutating func term(_ node: Node) -> Contract.Term? {
        guard let map = mapping(node, "term", required: ["from", "to"]),
              let from = date(map["from"], "term from"), let to = date(map["to"], "term to")
        else { return nil }
        guard from <= to else {
            fail(node, "term ends (\(to)) before it starts (\(from))")
            return nil
        }
        return Contract.Term(from: from, to: to)
    }

    fileprivate mutating func authentication(_ node: Node, kind: PartnerKind?, lines: inout [String: Int]) -> Contract.Authentication? {
        guard let map = mapping(node, "authentication", optional: ["certificates", "api_keys"]) else { return nil }
        var certificates: [Contract.Certificate] = []
        for element in map["certificates"].flatMap({ sequence($0, "authentication certificates") }) ?? [] {
            guard let certificate = mapping(element, "a certificate", optional: ["sha256", "subject", "match"]) else { continue }
            let fingerprint = string(certificate["sha256"], "certificate sha256").flatMap { text -> String? in
                let hex = text.replacingOccurrences(of: ":", with: "").lowercased()
                guard hex.isLowercaseHex(count: 64) else {
                    fail(certificate["sha256"], "certificate sha256 must be 64 hex digits (colons allowed)")
                    return nil
                }
                return hex
            }
            let subject = string(certificate["subject"], "certificate subject")
            guard fingerprint != nil || subject != nil else {
                fail(element, "a certificate needs its sha256 fingerprint, its subject, or both")
                continue
            }
            let match = string(certificate["match"], "certificate match")
            switch (fingerprint, match) {
            case (_?, nil), (_?, "fingerprint"?), (nil, "subject"?):
                break
            case (_?, _?):
                fail(certificate["match"], "a certificate with a sha256 fingerprint is matched by it: match may only be 'fingerprint'")
                continue
            case (nil, _):
                fail(element, "a certificate without sha256 binds by subject alone only when it says 'match: subject' (then any certificate of the partner CA with this subject is the partner)")
                continue
            }
            if let fingerprint { lines["sha256 \(fingerprint)"] = certificate["sha256"]?.mark?.line }
            if let subject { lines["subject \(subject)"] = certificate["subject"]?.mark?.line }
            certificates.append(Contract.Certificate(sha256: fingerprint, subject: subject))
        }
        var keys: [String] = []
        for (key, keyNode) in strings(map["api_keys"], "authentication api_keys") ?? [] {
            guard Contract.isAPIKeyID(key) else {
                fail(keyNode, "an API key id is 'ak_' and 16 lowercase hex digits; the key secret never goes into a contract")
                continue
            }
            lines["API key \(key)"] = keyNode.mark?.line
            keys.append(key)
        }
        if kind == .creditAgency {
            if keys.isEmpty { fail(node, "a credit_agency authenticates with at least one API key id") }
            if !certificates.isEmpty { fail(map["certificates"], "a credit_agency authenticates by API key, not certificates") }
        } else if let kind {
            if certificates.isEmpty { fail(node, "a \(kind.rawValue) authenticates with at least one client certificate") }
            if !keys.isEmpty { fail(map["api_keys"], "a \(kind.rawValue) authenticates by mutual TLS, not API keys") }
        }
        return Contract.Authentication(certificates: certificates, apiKeyIDs: keys)
    }

    /// Every catalog item's class, looked up in `layers` (contract, then kind defaults) items then categories.
    fileprivate mutating func grants(
        layers: [ContractTerms], fallback: ContractTerms.Fallback, purposes: [String], catalog: Catalog
    ) -> [String: ItemGrant] {
        var grants: [String: ItemGrant] = [:]
        for item in catalog.items {
            let stated = layers.lazy.compactMap { $0.items[item.id] ?? $0.categories[item.category] }.first
            guard let stated else {
                switch (fallback, item.sharing) {
                case (.notInContract, _): break
                case (.catalog, .unconditional): grants[item.id] = .unconditional
                case (.catalog, .none): grants[item.id] = ItemGrant.none
                case (.catalog, .conditional):
                    grants[item.id] = .conditional(.init(purposes: purposes, consentRequired: true, consentScope: .item))
                }
                continue
            }
            switch stated.value {
            case .unconditional: grants[item.id] = .unconditional
            case .none: grants[item.id] = ItemGrant.none
            case let .conditional(statedPurposes, consentRequired, scope):
                let allowed = statedPurposes.map { $0.filter(purposes.contains) } ?? purposes
                if stated.file == file, let statedPurposes, allowed.count < statedPurposes.count {
                    let extra = statedPurposes.filter { !purposes.contains($0) }.joined(separator: ", ")
                    fail(line: stated.line, "item '\(item.id)' is conditional on purposes the contract does not allow: \(extra)")
                }
                grants[item.id] = .conditional(.init(purposes: allowed, consentRequired: consentRequired, consentScope: scope))
            }
        }
        return grants
    }
}
