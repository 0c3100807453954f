import BrokerCore

/// A generated natural person with the person records held on them.
public struct SyntheticPerson: Sendable {
    /// Position in the province, 0..<persons.
    public let index: Int
    public let id: ResidentIDNumber
    public let name: String
    public let records: [SyntheticRecord]
    public let events: [StatusEvent]
}
