/// Identifies one version of one partner's contract: the label its file states and the SHA-256 of its
/// canonical JSON (so an edit that forgot to bump the label still yields a new version).
public struct ContractVersion: Sendable, Hashable, Codable, CustomStringConvertible {
    public let partnerID: String
    public let label: String
    /// 64 lowercase hex digits.
    public let digest: String

    public var description: String { Self.describe(partnerID: partnerID, label: label, digest: digest) }

    /// `partner@label#digest12`, as answers, receipts and the meter ledger's readers show a version.
    public static func describe(partnerID: String, label: String, digest: String) -> String {
        "\(partnerID)@\(label)#\(digest.prefix(12))"
    }
}
