import BrokerCore
import Crypto
import Foundation

/// A signed statement of one disclosure: what was disclosed to whom, under which contract and
/// consent, and the SHA-256 of the exact response body. Travels in the `Broker-Receipt` header as
/// `base64url(JSON).base64url(Ed25519 signature over the JSON bytes)`.
public struct Receipt: Codable, Sendable, Hashable {
    public let requestID: String
    public let partnerID: String
    /// RFC 3339, UTC, whole seconds.
    public let issuedAt: String
    public let itemsDisclosed: [String]
    /// `ContractVersion.description`, e.g. `bank.icbc_jiangsu@2026-11-01.1#f3a9c0d1e2b4`.
    public let contractVersion: String
    public let consentID: String?
    /// SHA-256 of the response body, 64 lowercase hex digits.
    public let bodySHA256: String
    /// What the body is when it is no disclosure: `consent` for a consent receipt (absent otherwise).
    public let kind: String?

    public init(
        requestID: String, partnerID: String, issuedAt: Date, itemsDisclosed: [String],
        contractVersion: String, consentID: String?, body: some DataProtocol, kind: String? = nil
    ) {
        self.requestID = requestID
        self.partnerID = partnerID
        self.issuedAt = issuedAt.formatted(.iso8601)
        self.itemsDisclosed = itemsDisclosed
        self.contractVersion = contractVersion
        self.consentID = consentID
        self.bodySHA256 = Self.digest(body)
        self.kind = kind
    }

    /// The JSON the signature covers: the same bytes as `JSONEncoder` with sorted keys and
    /// unescaped slashes would write, without its generic machinery (one receipt per answer).
    var payload: Data {
        var members: [String: AnswerValue] = [
            CodingKeys.bodySHA256.rawValue: .string(bodySHA256),
            CodingKeys.contractVersion.rawValue: .string(contractVersion),
            CodingKeys.issuedAt.rawValue: .string(issuedAt),
            CodingKeys.itemsDisclosed.rawValue: .array(itemsDisclosed.map(AnswerValue.string)),
            CodingKeys.partnerID.rawValue: .string(partnerID),
            CodingKeys.requestID.rawValue: .string(requestID),
        ]
        if let consentID { members[CodingKeys.consentID.rawValue] = .string(consentID) }
        if let kind { members[CodingKeys.kind.rawValue] = .string(kind) }
        return Data(AnswerValue.object(members).json)
    }

    static func digest(_ body: some DataProtocol) -> String {
        SHA256.hash(data: Array(body)).lowercaseHex
    }

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", partnerID = "partner", issuedAt = "issued_at", itemsDisclosed = "items_disclosed"
        case contractVersion = "contract_version", consentID = "consent_id", bodySHA256 = "body_sha256", kind
    }

    /// The header that carries a receipt.
    public static let headerName = "Broker-Receipt"
}
