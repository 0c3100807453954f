import BrokerStore
import Foundation

/// The response to store under a claimed idempotency key, its body sealed
/// (`IdempotencyStore.field(partner:key:)`): what a partner was sent may carry a subject's kept
/// statement, so it is never written in clear.
///
/// Hand it to `MeterWriter.record(_:completing:)` so that it is stored in the same transaction as
/// the request's meter event: a retry then either replays it (and is not metered again) or, if the
/// event was not committed, runs afresh.
public struct IdempotencyCompletion: Sendable, Hashable {
    public let partnerID: String
    public let key: IdempotencyKey
    public let status: Int
    public let headers: [StoredResponse.Header]
    /// The body, sealed under the newest sealing key and bound to this partner's key.
    public let sealedBody: SealedValue
    /// How long a retry can replay the response.
    public let retention: Duration

    /// `response` to keep for `retention`, its body sealed with `keyring`'s newest key.
    public init(
        partnerID: String, key: IdempotencyKey, response: StoredResponse, sealingWith keyring: SealingKeyring,
        retention: Duration = .seconds(86_400)
    ) throws(SealingKeyring.Failure) {
        self.partnerID = partnerID
        self.key = key
        status = response.status
        headers = response.headers
        sealedBody = try keyring.seal(bytes: response.body, as: IdempotencyStore.field(partner: partnerID, key: key.digest))
        self.retention = retention
    }
}

extension IdempotencyCompletion: Encodable {
    /// The keys that the completion statement reads with `jsonb_to_recordset`.
    enum CodingKeys: String, CodingKey {
        case partnerID = "partner_id", key, status, headers, body, bodyKey = "body_key", retention = "retention_us"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(partnerID, forKey: .partnerID)
        try container.encode(key.digest, forKey: .key)
        try container.encode(status, forKey: .status)
        try container.encode(headers, forKey: .headers)
        // JSONEncoder writes Data as base64, which the statement decodes back to bytea.
        try container.encode(Data(sealedBody.bytes), forKey: .body)
        try container.encode(sealedBody.keyID, forKey: .bodyKey)
        try container.encode(retention.microseconds, forKey: .retention)
    }
}
