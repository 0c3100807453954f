import EmbeddedPostgres
import Foundation

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
    /// `cli` for a change made with the command line on the broker's host (then the actor is the
    /// operating-system account and `actorFingerprint` is empty); `nil` for the admin API.
    public let via: String?

    /// The keys of the chain's canonical encoding (`AdminAuditRecord`), which the hashes cover.
    enum CodingKeys: String, CodingKey {
        case actorFingerprint = "actor_fingerprint", actorSubject = "actor_subject", role, method, path
        case targetPartner = "target_partner", status, detail, via
    }

    public init(
        actorFingerprint: String, actorSubject: String, role: String?, method: String, path: String,
        targetPartner: String?, status: Int, detail: String, via: String? = nil
    ) {
        self.actorFingerprint = Self.storable(actorFingerprint)
        self.actorSubject = Self.storable(actorSubject)
        self.role = role.map(Self.storable)
        self.method = Self.storable(method)
        self.path = Self.storable(path)
        self.targetPartner = targetPartner.map(Self.storable)
        self.status = status
        self.detail = Self.storable(detail)
        self.via = via.map(Self.storable)
    }

    /// A change made with `credit-broker` on the broker's host by the current operating-system
    /// account: `command` (e.g. `keys issue`) stands in the path, `status` is what the admin API
    /// would have answered for the same change.
    public static func commandLine(_ command: String, partner: String?, status: Int, detail: String) -> AdminAuditEntry {
        AdminAuditEntry(
            actorFingerprint: "", actorSubject: "os-account=\(EmbeddedPostgres.currentAccount ?? "uid \(geteuid())"),host=\(ProcessInfo.processInfo.hostName)",
            role: nil, method: "CLI", path: "credit-broker " + command, targetPartner: partner, status: status, detail: detail, via: "cli"
        )
    }

    /// `text` as PostgreSQL stores it in a `text` column: a NUL (which would end the stored text
    /// there, while the chain hashed all of it) becomes U+FFFD. The admin API refuses such input
    /// before it gets here; this keeps what is hashed and what is stored one and the same anyway.
    static func storable(_ text: String) -> String {
        guard text.utf8.contains(0) else { return text }
        return String(text.unicodeScalars.map { $0 == "\0" ? "\u{FFFD}" : Character($0) })
    }
}
