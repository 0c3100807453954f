import Formats

/// The policy files contracts are checked and resolved against.
public struct PolicyBundle: Sendable {
    public let catalog: Catalog
    public let masking: MaskingPolicy
    public let purposes: PurposeCatalog
    public let defaults: PartnerDefaults

    public init(catalog: Catalog, masking: MaskingPolicy, purposes: PurposeCatalog, defaults: PartnerDefaults) {
        self.catalog = catalog
        self.masking = masking
        self.purposes = purposes
        self.defaults = defaults
    }

    /// Parses the four policy files from their texts, collecting the problems of all of them.
    /// - Parameter texts: file name → text for `catalog`, `masking`, `purposes` and `defaults`.
    public init(
        catalog: (file: String, text: String),
        masking: (file: String, text: String),
        purposes: (file: String, text: String),
        defaults: (file: String, text: String)
    ) throws(PolicyError) {
        var diagnostics: [YAMLDiagnostic] = []
        func attempt<Value>(_ parse: () throws(PolicyError) -> Value) -> Value? {
            do { return try parse() } catch { diagnostics += error.diagnostics; return nil }
        }
        let maskingPolicy = attempt { () throws(PolicyError) in try MaskingPolicy(yaml: masking.text, file: masking.file) }
        let catalogValue = attempt { () throws(PolicyError) in
            try Catalog(yaml: catalog.text, file: catalog.file, knownMaskRules: maskingPolicy.map { Set($0.rules.keys) })
        }
        let purposeCatalog = attempt { () throws(PolicyError) in try PurposeCatalog(yaml: purposes.text, file: purposes.file) }
        guard let maskingPolicy, let catalogValue, let purposeCatalog else { throw PolicyError(diagnostics) }
        let partnerDefaults = attempt { () throws(PolicyError) in
            try PartnerDefaults(yaml: defaults.text, file: defaults.file, catalog: catalogValue, masking: maskingPolicy, purposes: purposeCatalog)
        }
        guard let partnerDefaults else { throw PolicyError(diagnostics) }
        self.init(catalog: catalogValue, masking: maskingPolicy, purposes: purposeCatalog, defaults: partnerDefaults)
    }
}
