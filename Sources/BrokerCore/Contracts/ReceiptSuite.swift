/// The signature suite of a partner's disclosure receipts, chosen by its contract (`receipts:`).
public enum ReceiptSuite: String, Sendable, Hashable, Codable, CaseIterable {
    /// Ed25519 (RFC 8032) over the receipt's JSON: the default.
    case ed25519
    /// SM2 (GB/T 32918) with SM3 and the GM/T 0009 default user id, over the same JSON.
    case sm2SM3 = "sm2-sm3"
}
