import Formats

/// All partner contracts, parsed and checked against each other.
public struct ContractSet: Sendable {
    /// Every contract, ordered by partner id then term start, with the file it was read from
    /// (empty for contracts not read from files).
    public let sourced: [(contract: Contract, file: String)]

    /// Every contract, ordered by partner id then term start.
    public var contracts: [Contract] { sourced.map(\.contract) }

    /// A set of already checked contracts (e.g. read back from the contract store).
    public init(contracts: [Contract]) {
        self.init(sourced: contracts.map { ($0, "") })
    }

    private init(sourced: [(contract: Contract, file: String)]) {
        self.sourced = sourced.sorted { ($0.contract.partnerID, $0.contract.term.from) < ($1.contract.partnerID, $1.contract.term.from) }
    }

    /// Parses every file and checks them together: each file on its own, then duplicate partners with
    /// overlapping terms and credentials claimed by two partners.
    /// - Parameter files: file name and text of each contract file.
    /// - Throws: `PolicyError` with every problem of every file as `file:line: message`.
    public init(files: [(name: String, text: String)], policies: PolicyBundle) throws(PolicyError) {
        var diagnostics: [YAMLDiagnostic] = []
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
                diagnostics.append(YAMLDiagnostic(
                    file: source.file, line: source.partnerLine,
                    message: "duplicate partner id '\(contract.partnerID)': \(earlier.file):\(earlier.partnerLine) has a term overlapping this one"
                ))
            }
            for (credential, line) in source.credentialLines.sorted(by: { $0.value < $1.value }) {
                if let owner = credentialOwners[credential], owner.contract.partnerID != contract.partnerID {
                    diagnostics.append(YAMLDiagnostic(
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
        self.init(sourced: sources.map { ($0.contract, $0.file) })
    }

    /// The files as a ledger: every contract in effect from the beginning of time (files carry no
    /// activation instant), so that only their terms decide.
    public var ledger: ContractLedger {
        ContractLedger(versions: contracts.enumerated().map { index, contract in
            ContractLedger.Version(id: Int64(index + 1), contract: contract, effectiveFrom: .distantPast)
        })
    }

    /// Per partner, the contract that governs requests on `day`: the ledger's rule
    /// (`ContractLedger.governing(at:)`): the one in force, else the next to start, else the last to
    /// have ended (so that requests are withheld as `contract_not_active`).
    public func governing(on day: CivilDate) -> [Contract] {
        ledger.governing(at: day.start()).map(\.contract)
    }
}
