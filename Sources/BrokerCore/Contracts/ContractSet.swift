/// All partner contracts, parsed and checked against each other.
public struct ContractSet: Sendable {
    /// Every contract, ordered by partner id then term start.
    public let contracts: [Contract]

    /// A set of already checked contracts (e.g. read back from the contract store).
    public init(contracts: [Contract]) {
        self.contracts = contracts.sorted { ($0.partnerID, $0.term.from) < ($1.partnerID, $1.term.from) }
    }

    /// Parses every file and checks them together: each file on its own, then duplicate partners with
    /// overlapping terms and credentials claimed by two partners.
    /// - Parameter files: file name and text of each contract file.
    /// - Throws: `PolicyError` with every problem of every file as `file:line: message`.
    public init(files: [(name: String, text: String)], policies: PolicyBundle) throws(PolicyError) {
        var diagnostics: [PolicyDiagnostic] = []
        var sources: [ContractSource] = []
        for (name, text) in files {
            do {
                sources.append(try ContractSource(yaml: text, file: name, policies: policies))
            } catch {
                diagnostics += error.diagnostics
            }
        }
        sources.sort { ($0.file, $0.partnerLine) < ($1.file, $1.partnerLine) }
        var seen: [ContractSource] = []
        var credentialOwners: [String: ContractSource] = [:]
        for source in sources {
            let contract = source.contract
            for earlier in seen where earlier.contract.partnerID == contract.partnerID && earlier.contract.term.overlaps(contract.term) {
                diagnostics.append(PolicyDiagnostic(
                    file: source.file, line: source.partnerLine,
                    message: "duplicate partner id '\(contract.partnerID)': \(earlier.file):\(earlier.partnerLine) has a term overlapping this one"
                ))
            }
            for (credential, line) in source.credentialLines.sorted(by: { $0.value < $1.value }) {
                if let owner = credentialOwners[credential], owner.contract.partnerID != contract.partnerID {
                    diagnostics.append(PolicyDiagnostic(
                        file: source.file, line: line,
                        message: "\(credential) is already the credential of partner '\(owner.contract.partnerID)' (\(owner.file))"
                    ))
                } else {
                    credentialOwners[credential] = source
                }
            }
            seen.append(source)
        }
        guard diagnostics.isEmpty else { throw PolicyError(diagnostics) }
        self.init(contracts: sources.map(\.contract))
    }

    /// Per partner, the contract that governs requests on `day`: the one in force, else the next to
    /// start, else the last to have ended (so that requests are withheld as `contract_not_active`).
    public func governing(on day: CivilDate) -> [Contract] {
        let partners = Dictionary(grouping: contracts, by: \.partnerID)
        return partners.keys.sorted().compactMap { partner in
            let versions = partners[partner] ?? []
            if let inForce = versions.first(where: { $0.term.contains(day) }) { return inForce }
            if let next = versions.first(where: { day < $0.term.from }) { return next }
            return versions.last
        }
    }
}
