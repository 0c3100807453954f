import BrokerCore
import Foundation

/// One applied version of a partner's contract, as the contract store holds it.
public struct StoredContractVersion: Sendable, Hashable {
    /// The contract with its kind's defaults applied, as it was applied.
    public let contract: Contract
    /// The file it was applied from.
    public let sourceFile: String
    public let appliedAt: Date
}
