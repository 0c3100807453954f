/// What the admin listener records of one request, allowed or refused, before the chain adds
/// its sequence number, time and hash. Holds no secret and no personal identifier.
public struct AdminAuditEntry: Sendable, Hashable, Encodable {
    /// SHA-256 of the admin's certificate (DER), 64 lowercase hex digits.
    public let actorFingerprint: String
    /// The certificate's subject (`CN=…,OU=admin-…,O=…,C=CN`).
    public let actorSubject: String
    /// The role the certificate carries (`system`, `security`, `audit`); `nil` if it carries none.
    public let role: String?
    public let method: String
    public let path: String
    /// The partner the request was about, if any.
    public let targetPartner: String?
    /// The HTTP status answered.
    public let status: Int
    /// A short fixed-form account (`issued ak_…`, `role-not-allowed`), never a token or an identifier.
    public let detail: String

    /// The keys of the chain's canonical encoding (`AdminAuditRecord`), which the hashes cover.
    enum CodingKeys: String, CodingKey {
        case actorFingerprint = "actor_fingerprint", actorSubject = "actor_subject", role, method, path
        case targetPartner = "target_partner", status, detail
    }

    public init(
        actorFingerprint: String, actorSubject: String, role: String?, method: String, path: String,
        targetPartner: String?, status: Int, detail: String
    ) {
        self.actorFingerprint = actorFingerprint
        self.actorSubject = actorSubject
        self.role = role
        self.method = method
        self.path = path
        self.targetPartner = targetPartner
        self.status = status
        self.detail = detail
    }
}
