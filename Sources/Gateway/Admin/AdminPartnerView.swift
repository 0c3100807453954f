import BrokerCore

/// A partner as `GET /admin/v1/partners` lists it: its governing contract's terms and the
/// credentials that authenticate it now (the contract's certificate bindings and the API keys
/// the key store holds unrevoked and unexpired, by id; never a secret).
public struct AdminPartnerView: Codable, Sendable {
    public struct Term: Codable, Sendable {
        public let from: CivilDate
        public let to: CivilDate
    }

    public struct Quotas: Codable, Sendable {
        public let perDay: Int?
        public let perMonth: Int?

        enum CodingKeys: String, CodingKey { case perDay = "per_day", perMonth = "per_month" }
    }

    public struct RateLimit: Codable, Sendable {
        public let perSecond: Int
        public let burst: Int

        enum CodingKeys: String, CodingKey { case perSecond = "per_second", burst }
    }

    public struct Authentication: Codable, Sendable {
        public struct Certificate: Codable, Sendable {
            public let sha256: String?
            public let subject: String?
        }

        public let certificates: [Certificate]
        public let apiKeyIDs: [String]

        enum CodingKeys: String, CodingKey { case certificates, apiKeyIDs = "api_key_ids" }
    }

    public let id: String
    public let legalName: String
    public let kind: String
    /// `active`, `suspended` or `retired`.
    public let status: String
    public let contractVersion: String
    public let contractDigest: String
    public let term: Term
    public let quotas: Quotas
    /// Quota units used today and this month (China time).
    public let quotaUse: Quotas
    public let rateLimit: RateLimit
    public let authentication: Authentication

    enum CodingKeys: String, CodingKey {
        case id, legalName = "legal_name", kind, status, contractVersion = "contract_version", contractDigest = "contract_digest"
        case term, quotas, quotaUse = "quota_use", rateLimit = "rate_limit", authentication
    }

    /// - Parameter liveKeyIDs: the partner's keys that authenticate now (`ApiKeyStore.liveKeyIDs`).
    /// - Parameter quotaUse: the units spent by answers in the periods that hold now (`QuotaLedger.spentUsageOfAll`).
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
