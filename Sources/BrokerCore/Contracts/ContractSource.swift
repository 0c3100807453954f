/// A contract parsed from one file, with the lines its cross-file checks point at.
struct ContractSource: Sendable {
    let contract: Contract
    let file: String
    /// The line of the `partner` key.
    let partnerLine: Int
    /// Credential (`sha256 …`, `subject …`, `API key …`) → the line stating it.
    let credentialLines: [String: Int]
}
