/// The decisions for one request, in the order its items were asked for.
public struct Decision: Sendable, Hashable {
    /// The contract version the decisions were made under.
    public let contractVersion: ContractVersion
    public let items: [ItemDecision]
}
