import BrokerCore
import Foundation

/// One request that reached a partner route, as the meter ledger records it.
///
/// The subject appears only as `subjectHash`: HMAC-SHA-256 of its identifier under the server
/// secret (for a person, `PersonKey.hex`), never as the identifier.
public struct MeterEvent: Sendable, Hashable {
    /// An item the request asked for and did not get, and why.
    public struct Withheld: Sendable, Hashable, Codable {
        public var item: String
        public var reason: WithholdReason

        public init(item: String, reason: WithholdReason) {
            self.item = item
            self.reason = reason
        }
    }

    public var partnerID: String
    /// Unique over the whole ledger; a second event with the same id is refused.
    public var requestID: String
    public var endpoint: String
    public var purpose: String?
    /// Item ids disclosed, in answer order.
    public var disclosed: [String]
    public var withheld: [Withheld]
    public var consentID: String?
    /// `ContractVersion.label` and `.digest` of the contract the decisions were made under.
    public var contractLabel: String
    public var contractDigest: String
    /// The HTTP status of the response.
    public var status: Int
    public var latency: Duration
    public var responseBytes: Int
    /// 64 lower-case hex digits, or `nil` for a request about no single subject.
    public var subjectHash: String?
    public var occurredAt: Date

    public init(
        partnerID: String, requestID: String, endpoint: String, purpose: String?,
        disclosed: [String], withheld: [Withheld], consentID: String?,
        contractLabel: String, contractDigest: String,
        status: Int, latency: Duration, responseBytes: Int, subjectHash: String?, occurredAt: Date
    ) {
        self.partnerID = partnerID
        self.requestID = requestID
        self.endpoint = endpoint
        self.purpose = purpose
        self.disclosed = disclosed
        self.withheld = withheld
        self.consentID = consentID
        self.contractLabel = contractLabel
        self.contractDigest = contractDigest
        self.status = status
        self.latency = latency
        self.responseBytes = responseBytes
        self.subjectHash = subjectHash
        self.occurredAt = occurredAt
    }

    /// Refuses an event the ledger would reject, so that it never fails a whole batch.
    func validate() throws(MeteringInputError) {
        try MeteringInputError.checkText(partnerID, "partnerID", maximum: 200)
        try MeteringInputError.checkText(requestID, "requestID", maximum: 200)
        try MeteringInputError.checkText(endpoint, "endpoint", maximum: 500)
        try MeteringInputError.checkText(contractLabel, "contractLabel", maximum: 200)
        try MeteringInputError.checkText(contractDigest, "contractDigest", maximum: 200)
        guard (100...599).contains(status) else {
            throw MeteringInputError(field: "status", reason: "\(status) is not an HTTP status (100–599)")
        }
        guard latency >= .zero else { throw MeteringInputError(field: "latency", reason: "is negative") }
        guard responseBytes >= 0 else { throw MeteringInputError(field: "responseBytes", reason: "is negative") }
        if let subjectHash, PersonKey(hex: subjectHash) == nil {
            throw MeteringInputError(field: "subjectHash", reason: "must be 64 lower-case hex digits (a keyed hash, never an identifier)")
        }
    }
}

extension MeterEvent {
    /// The event as one JSON object whose keys are the columns of `meter_events` that a batch insert
    /// reads with `jsonb_to_recordset`.
    var row: AnswerValue {
        func text(_ value: String?) -> AnswerValue { value.map(AnswerValue.string) ?? .null }
        return .object([
            "partner_id": .string(partnerID),
            "request_id": .string(requestID),
            "endpoint": .string(endpoint),
            "purpose": text(purpose),
            "items_disclosed": .array(disclosed.map(AnswerValue.string)),
            "items_withheld": .array(withheld.map { .object(["item": .string($0.item), "reason": .string($0.reason.rawValue)]) }),
            "consent_id": text(consentID),
            "contract_label": .string(contractLabel),
            "contract_digest": .string(contractDigest),
            "http_status": .int(Int64(status)),
            "latency_us": .int(latency.microseconds),
            "response_bytes": .int(Int64(responseBytes)),
            "subject_hash": text(subjectHash),
            // Whole microseconds since 1970: exact, unlike a floating-point timestamp.
            "occurred_us": .int(Int64((occurredAt.timeIntervalSince1970 * 1_000_000).rounded())),
        ])
    }
}

extension Duration {
    /// Whole microseconds, rounded down.
    var microseconds: Int64 {
        components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000
    }
}
