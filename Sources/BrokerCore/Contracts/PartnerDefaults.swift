import Formats

/// Contract defaults per partner kind (`Policies/partner-defaults.yaml`); see that file's header for the
/// merge and fallback rules.
public struct PartnerDefaults: Sendable {
    let terms: [PartnerKind: ContractTerms]

    /// Parses the defaults from YAML `text` that the caller read from `file`; every kind must be present
    /// with purposes, masking, rate limit and fallback.
    /// - Throws: `PolicyError` listing every problem as `file:line: message`.
    public init(yaml text: String, file: String, catalog: Catalog, masking: MaskingPolicy, purposes: PurposeCatalog) throws(PolicyError) {
        var reader = YAMLReader(file: file)
        var terms: [PartnerKind: ContractTerms] = [:]
        if let root = reader.root(of: text),
           let top = reader.mapping(root, "the partner defaults", required: PartnerKind.allCases.map(\.rawValue)) {
            for kind in PartnerKind.allCases {
                let what = "defaults for \(kind.rawValue)"
                guard let node = top[kind.rawValue],
                      let map = reader.mapping(node, what, required: ["purposes", "masking", "rate_limit", "fallback"], optional: ContractTerms.keys)
                else { continue }
                terms[kind] = reader.contractTerms(map, what, catalog: catalog, masking: masking, purposes: purposes)
            }
        }
        guard reader.diagnostics.isEmpty else { throw PolicyError(reader.diagnostics) }
        self.terms = terms
    }
}
