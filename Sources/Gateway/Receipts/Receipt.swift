import BrokerCore
import Crypto
import Foundation
import GMCrypto

/// A signed statement of one disclosure: what was disclosed to whom, under which contract and
/// consent, and the digest of the exact response body. Travels in the `Broker-Receipt` header as
/// `base64url(JSON).base64url(Ed25519 signature)` or `sm2-sm3.base64url(JSON).base64url(SM2 signature)`.
///
/// The body digest is the suite's own hash and its field says which: `body_sha256` (SHA-256) in an
/// Ed25519 receipt, `body_sm3` (SM3, GB/T 32905) in an SM2 one, so that an SM2 receipt uses the
/// national algorithms throughout and a verifier reads the algorithm from the field's name.
public struct Receipt: Codable, Sendable, Hashable {
    /// The hash of the body a receipt names, by the field that carries it.
    public enum BodyDigest: String, Sendable, Hashable, CaseIterable {
        case sha256 = "body_sha256"
        case sm3 = "body_sm3"

        /// The algorithm's name as `openssl dgst` takes it (`-sha256`, `-sm3`).
        public var algorithm: String {
            switch self {
            case .sha256: "SHA-256"
            case .sm3: "SM3"
            }
        }

        /// The body digest of a receipt signed in `suite`.
        public init(_ suite: ReceiptSuite) {
            switch suite {
            case .ed25519: self = .sha256
            case .sm2SM3: self = .sm3
            }
        }

        /// The digest of `body`, 64 lowercase hex digits.
        public func hex(of body: some DataProtocol) throws -> String {
            switch self {
            case .sha256: SHA256.hash(data: body).lowercaseHex
            case .sm3: try SM3.hash(Array(body)).lowercaseHex
            }
        }
    }

    public let requestID: String
    public let partnerID: String
    /// RFC 3339, UTC, whole seconds.
    public let issuedAt: String
    public let itemsDisclosed: [String]
    /// `ContractVersion.description`, e.g. `bank.icbc_jiangsu@2026-11-01.1#f3a9c0d1e2b4`.
    public let contractVersion: String
    public let consentID: String?
    /// Which hash `bodyDigest` is (its JSON field: `body_sha256` or `body_sm3`).
    public let bodyDigestAlgorithm: BodyDigest
    /// The digest of the response body, 64 lowercase hex digits.
    public let bodyDigest: String
    /// What the body is when it is no disclosure: `consent` for a consent receipt (absent otherwise).
    public let kind: String?

    /// The receipt of `body`, to be signed in `suite` (the partner's contract's `receiptSuite`),
    /// whose hash it names the body by.
    public init(
        requestID: String, partnerID: String, issuedAt: Date, itemsDisclosed: [String],
        contractVersion: String, consentID: String?, body: some DataProtocol, kind: String? = nil, suite: ReceiptSuite
    ) throws {
        self.requestID = requestID
        self.partnerID = partnerID
        self.issuedAt = issuedAt.formatted(.iso8601)
        self.itemsDisclosed = itemsDisclosed
        self.contractVersion = contractVersion
        self.consentID = consentID
        bodyDigestAlgorithm = BodyDigest(suite)
        bodyDigest = try bodyDigestAlgorithm.hex(of: body)
        self.kind = kind
    }

    /// The suite the receipt is signed in: the one whose hash names the body.
    var suite: ReceiptSuite {
        switch bodyDigestAlgorithm {
        case .sha256: .ed25519
        case .sm3: .sm2SM3
        }
    }

    /// Whether `body` is the body this receipt names.
    public func names(_ body: some DataProtocol) -> Bool {
        (try? bodyDigestAlgorithm.hex(of: body)) == bodyDigest
    }

    /// The JSON the signature covers: the same bytes as `JSONEncoder` with sorted keys and
    /// unescaped slashes would write, without its generic machinery (one receipt per answer).
    var payload: Data {
        var members: [String: AnswerValue] = [
            bodyDigestAlgorithm.rawValue: .string(bodyDigest),
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

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", partnerID = "partner", issuedAt = "issued_at", itemsDisclosed = "items_disclosed"
        case contractVersion = "contract_version", consentID = "consent_id", bodySHA256 = "body_sha256", bodySM3 = "body_sm3", kind
    }

    /// A receipt names its body by exactly one digest field. An SM2 receipt made before SM2
    /// receipts named the body by SM3 carries `body_sha256`: the field says which hash to check.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        requestID = try container.decode(String.self, forKey: .requestID)
        partnerID = try container.decode(String.self, forKey: .partnerID)
        issuedAt = try container.decode(String.self, forKey: .issuedAt)
        itemsDisclosed = try container.decode([String].self, forKey: .itemsDisclosed)
        contractVersion = try container.decode(String.self, forKey: .contractVersion)
        consentID = try container.decodeIfPresent(String.self, forKey: .consentID)
        kind = try container.decodeIfPresent(String.self, forKey: .kind)
        switch (try container.decodeIfPresent(String.self, forKey: .bodySHA256), try container.decodeIfPresent(String.self, forKey: .bodySM3)) {
        case (let digest?, nil):
            (bodyDigestAlgorithm, bodyDigest) = (.sha256, digest)
        case (nil, let digest?):
            (bodyDigestAlgorithm, bodyDigest) = (.sm3, digest)
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "a receipt carries exactly one of body_sha256 and body_sm3"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(requestID, forKey: .requestID)
        try container.encode(partnerID, forKey: .partnerID)
        try container.encode(issuedAt, forKey: .issuedAt)
        try container.encode(itemsDisclosed, forKey: .itemsDisclosed)
        try container.encode(contractVersion, forKey: .contractVersion)
        try container.encodeIfPresent(consentID, forKey: .consentID)
        try container.encode(bodyDigest, forKey: bodyDigestAlgorithm == .sha256 ? .bodySHA256 : .bodySM3)
        try container.encodeIfPresent(kind, forKey: .kind)
    }

    /// The header that carries a receipt.
    public static let headerName = "Broker-Receipt"
}
