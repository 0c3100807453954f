import BrokerCore
import Foundation

/// A partner's batch review as stored: its decision, progress and the quota periods it reserved in.
public struct BatchReview: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, Codable {
        case queued, running, done, failed
    }

    public let partnerID: String
    public let id: String
    public let status: Status
    /// The decision made at submission, as JSON the gateway wrote (opaque to the store).
    public let decision: String
    /// Subjects submitted.
    public let total: Int
    /// Subjects whose results are stored.
    public let done: Int
    /// The day and month periods whose quota the submission reserved `total` units in.
    public let quotaDay: CivilDate
    public let quotaMonth: CivilDate
    /// Why the batch failed (no personal data).
    public let failure: String?
    public let createdAt: Date
    public let finishedAt: Date?

    /// Subjects not yet processed.
    public var remaining: Int { total - done }
}
