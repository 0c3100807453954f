import Foundation

/// The response to store under a claimed idempotency key.
///
/// Hand it to `MeterWriter.record(_:completing:)` so that it is stored in the same transaction as
/// the request's meter event: a retry then either replays it (and is not metered again) or, if the
/// event was not committed, runs afresh.
public struct IdempotencyCompletion: Sendable, Hashable {
    public var partnerID: String
    public var key: IdempotencyKey
    public var response: StoredResponse
    /// How long a retry can replay the response.
    public var retention: Duration

    public init(partnerID: String, key: IdempotencyKey, response: StoredResponse, retention: Duration = .seconds(86_400)) {
        self.partnerID = partnerID
        self.key = key
        self.response = response
        self.retention = retention
    }
}

extension IdempotencyCompletion: Encodable {
    /// The keys that the completion statement reads with `jsonb_to_recordset`.
    enum CodingKeys: String, CodingKey {
        case partnerID = "partner_id", key, status, headers, body, retention = "retention_us"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(partnerID, forKey: .partnerID)
        try container.encode(key.digest, forKey: .key)
        try container.encode(response.status, forKey: .status)
        try container.encode(response.headers, forKey: .headers)
        // JSONEncoder writes Data as base64, which the statement decodes back to bytea.
        try container.encode(Data(response.body), forKey: .body)
        try container.encode(retention.microseconds, forKey: .retention)
    }
}
