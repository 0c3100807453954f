import Crypto
import Foundation

/// One partner's contract with its kind's defaults applied: what the decision engine compiles.
public struct Contract: Sendable, Hashable, Codable {
    /// The days the contract is in force, both inclusive.
    public struct Term: Sendable, Hashable, Codable {
        public let from: CivilDate
        public let to: CivilDate

        /// Whether `day` falls within the term.
        public func contains(_ day: CivilDate) -> Bool { from <= day && day <= to }
        /// Whether the two terms share a day.
        public func overlaps(_ other: Term) -> Bool { from <= other.to && other.from <= to }
    }

    /// A client certificate accepted for the partner: pinned by its SHA-256 fingerprint (the
    /// subject, if given, must match too), or, without a fingerprint, any certificate of the partner
    /// CA with exactly this subject (`match: subject` in the file).
    public struct Certificate: Sendable, Hashable, Codable {
        public init(sha256: String?, subject: String?) {
            self.sha256 = sha256
            self.subject = subject
        }

        /// 64 lowercase hex digits, no separators.
        public let sha256: String?
        /// The certificate subject's distinguished name.
        public let subject: String?
    }

    /// How the partner proves who it is. Holds identifiers only, never a secret.
    public struct Authentication: Sendable, Hashable, Codable {
        public let certificates: [Certificate]
        /// API key identifiers (the secret lives in the key store, hashed).
        public let apiKeyIDs: [String]
    }

    /// Whether `text` is an API key id: `ak_` and 16 lowercase ASCII hex digits (a contract names
    /// ids; the key store and the `Authorization` header check them the same way).
    public static func isAPIKeyID(_ text: some StringProtocol) -> Bool {
        text.hasPrefix("ak_") && text.dropFirst(3).isLowercaseHex(count: 16)
    }

    /// Request quotas; `nil` = unlimited.
    public struct Quotas: Sendable, Hashable, Codable {
        public let perDay: Int?
        public let perMonth: Int?
    }

    /// Token-bucket rate limit.
    public struct RateLimit: Sendable, Hashable, Codable {
        public let perSecond: Int
        public let burst: Int
    }

    /// The rate plan: prices in fen (0.01 CNY), billed monthly (China time) by `Billing` from the
    /// meter ledger. The optional parts are left out of the canonical JSON when a contract does not
    /// state them, so a contract without them keeps its version.
    public struct Prices: Sendable, Hashable, Codable {
        /// From a call number of the month on, another price per call (a volume tier).
        public struct Tier: Sendable, Hashable, Codable {
            /// The first billable call of the month (counted from 1) this price applies to.
            public let from: Int
            public let perCall: Int

            public init(from: Int, perCall: Int) {
                self.from = from
                self.perCall = perCall
            }
        }

        /// Per billable call (a query, score or report that disclosed something), below the first tier.
        public let perCall: Int
        /// Item id → price per disclosed item.
        public let perItem: [String: Int]
        /// Per subject of a batch review that disclosed something; `nil` is 0.
        public let perBatchSubject: Int?
        /// The month's first this many billable calls carry no per-call price; `nil` is none.
        public let freeCalls: Int?
        /// Volume tiers, `from` ascending; `nil` is `perCall` throughout.
        public let tiers: [Tier]?

        public init(perCall: Int, perItem: [String: Int], perBatchSubject: Int? = nil, freeCalls: Int? = nil, tiers: [Tier]? = nil) {
            self.perCall = perCall
            self.perItem = perItem
            self.perBatchSubject = perBatchSubject == 0 ? nil : perBatchSubject
            self.freeCalls = freeCalls == 0 ? nil : freeCalls
            self.tiers = tiers?.isEmpty == true ? nil : tiers
        }
    }

    /// Whether `text` is a well-formed partner id: lowercase ASCII letters, digits, '.', '_' or '-',
    /// starting with a letter, at most 64 long.
    public static func isValidPartnerID(_ text: some StringProtocol) -> Bool {
        text.utf8.count <= 64 && text.utf8.first.map { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) } == true
            && text.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }

    public let partnerID: String
    public let legalName: String
    public let kind: PartnerKind
    /// The version label the contract file states.
    public let versionLabel: String
    public let term: Term
    public let authentication: Authentication
    /// Purposes the partner may declare (sorted).
    public let purposes: [String]
    public let maskingProfile: String
    public let quotas: Quotas
    public let rateLimit: RateLimit
    public let prices: Prices
    /// The class of every item the contract covers; an absent item is not in the contract.
    public let grants: [String: ItemGrant]
    /// The receipts' suite when the contract chooses other than the default; `nil` is Ed25519 and
    /// is left out of the canonical JSON, so a contract that does not choose keeps its version.
    public let receipts: ReceiptSuite?

    /// The suite the partner's receipts are signed with.
    public var receiptSuite: ReceiptSuite { receipts ?? .ed25519 }

    /// The contract's canonical JSON: sorted keys, no insignificant whitespace; equal contracts give equal bytes.
    public var canonicalJSON: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every stored property is a string, integer, array or dictionary of them: encoding cannot fail.
        return try! encoder.encode(self)
    }

    /// The same contract with other certificate bindings and, if given, another version label (a
    /// development PKI binding the certificates it made, a test binding its own).
    public func binding(certificates: [Certificate], label: String? = nil) -> Contract {
        Contract(
            partnerID: partnerID, legalName: legalName, kind: kind, versionLabel: label ?? versionLabel, term: term,
            authentication: Authentication(certificates: certificates, apiKeyIDs: authentication.apiKeyIDs),
            purposes: purposes, maskingProfile: maskingProfile, quotas: quotas, rateLimit: rateLimit, prices: prices, grants: grants,
            receipts: receipts
        )
    }

    /// The version that decisions, receipts and the contract store cite.
    public var version: ContractVersion {
        let digest = SHA256.hash(data: canonicalJSON).lowercaseHex
        return ContractVersion(partnerID: partnerID, label: versionLabel, digest: digest)
    }
}
