/// Why `MeterWriter.record` did not commit an event. In every case the request must not be answered with data.
public enum MeterError: Error, Sendable, CustomStringConvertible {
    /// The writer is closed (the process is shutting down).
    case closed
    /// The ledger already holds an event with this request id; this one was not recorded.
    case duplicateRequestID
    /// The quota unit the event was to spend is no longer counted (the sweep ended its count, or a
    /// crash of PostgreSQL lost its reservation); the event was not recorded.
    case quotaUnitNotCounted
    /// The batch transaction holding the event failed; no event of that batch was recorded.
    case commitFailed(batchSize: Int, any Error)

    public var description: String {
        switch self {
        case .closed: "the meter writer is closed"
        case .duplicateRequestID: "a meter event with this request id is already recorded"
        case .quotaUnitNotCounted: "the quota unit of the event's request is no longer counted"
        case let .commitFailed(size, error): "the meter batch of \(size) events failed to commit: \(error)"
        }
    }
}
