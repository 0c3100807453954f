import BrokerCore

/// A partner as `GET /admin/v1/partners` lists it: its governing contract's terms and the
/// credentials that authenticate it now (the contract's certificate bindings and the API keys
/// the key store holds unrevoked and unexpired, by id; never a secret).
struct AdminPartnerView: Encodable {
    struct Term: Encodable {
        let from: CivilDate
        let to: CivilDate
    }

    struct Quotas: Encodable {
        let perDay: Int?
        let perMonth: Int?

        enum CodingKeys: String, CodingKey { case perDay = "per_day", perMonth = "per_month" }
    }

    struct RateLimit: Encodable {
        let perSecond: Int
        let burst: Int

        enum CodingKeys: String, CodingKey { case perSecond = "per_second", burst }
    }

    struct Authentication: Encodable {
        struct Certificate: Encodable {
            let sha256: String?
            let subject: String?
        }

        let certificates: [Certificate]
        let apiKeyIDs: [String]

        enum CodingKeys: String, CodingKey { case certificates, apiKeyIDs = "api_key_ids" }
    }

    let id: String
    let legalName: String
    let kind: String
    /// `active`, `suspended` or `retired`.
    let status: String
    let contractVersion: String
    let contractDigest: String
    let term: Term
    let quotas: Quotas
    /// Quota units used today and this month (China time).
    let quotaUse: Quotas
    let rateLimit: RateLimit
    let authentication: Authentication

    enum CodingKeys: String, CodingKey {
        case id, legalName = "legal_name", kind, status, contractVersion = "contract_version", contractDigest = "contract_digest"
        case term, quotas, quotaUse = "quota_use", rateLimit = "rate_limit", authentication
    }

    /// - Parameter liveKeyIDs: the partner's keys that authenticate now (`ApiKeyStore.liveKeyIDs`).
    /// - Parameter quotaUse: the units used in the periods that hold now (`QuotaLedger.usageOfAll`).
    init(_ contract: Contract, status: PartnerStatus, liveKeyIDs: [String], quotaUse: QuotaUsage) {
        self.quotaUse = Quotas(perDay: quotaUse.today, perMonth: quotaUse.thisMonth)
        self.status = status.rawValue
        let version = contract.version
        id = contract.partnerID
        legalName = contract.legalName
        kind = contract.kind.rawValue
        contractVersion = version.label
        contractDigest = version.digest
        term = Term(from: contract.term.from, to: contract.term.to)
        quotas = Quotas(perDay: contract.quotas.perDay, perMonth: contract.quotas.perMonth)
        rateLimit = RateLimit(perSecond: contract.rateLimit.perSecond, burst: contract.rateLimit.burst)
        authentication = Authentication(
            certificates: contract.authentication.certificates.map { .init(sha256: $0.sha256, subject: $0.subject) },
            apiKeyIDs: contract.kind == .creditAgency ? liveKeyIDs : []
        )
    }
}
