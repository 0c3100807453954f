import ArgumentParser
import BrokerCore
import Foundation

/// `credit-broker contracts explain PARTNER ITEM --purpose P`: the decision, its reason and what unlocks it.
struct ContractsExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain the decision for one partner, item and purpose."
    )

    @Argument(help: "The partner id.")
    var partner: String

    @Argument(help: "The catalog item id.")
    var item: String

    @Option(help: "The declared purpose.")
    var purpose: String

    @Option(help: ArgumentHelp(
        "A file holding a consent as GET /v1/consents/{id} answers it (id, subject, purposes, items, categories, valid_from, valid_to, use_limit, uses, status, document_digest); uses_so_far and revoked may stand for uses and status.",
        valueName: "file"
    ))
    var consent: String?

    @Option(help: "When to decide: YYYY-MM-DD (start of day, China time) or an RFC 3339 instant; default now.")
    var at: String?

    @Option(help: "The contracts directory.")
    var contracts = "Contracts"

    @OptionGroup var options: ContractsOptions

    func run() async throws {
        let instant = try at.map(Self.instant) ?? Date()
        let consentValue = try consent.map(Self.consent(at:))
        let policies: PolicyBundle
        let set: ContractSet
        do {
            policies = try options.load()
            set = try ContractSet(files: ContractsOptions.contractFiles(at: contracts), policies: policies)
        } catch let error as PolicyError {
            ContractsOptions.report(error)
            throw ExitCode.failure
        }
        let governing = set.governing(on: CivilDate(instant))
        let engine = DecisionEngine(contracts: governing, catalog: policies.catalog, purposes: policies.purposes)
        guard let partnerHandle = engine.partner(partner), let contract = governing.first(where: { $0.partnerID == partner }) else {
            throw ValidationError("no contract for partner '\(partner)'")
        }
        guard let itemHandle = engine.item(item) else { throw ValidationError("the catalog has no item '\(item)'") }
        guard let purposeHandle = engine.purpose(purpose) else { throw ValidationError("unknown purpose '\(purpose)'") }
        let request = DecisionRequest(
            partner: partnerHandle, subject: consentValue?.subject ?? "", items: [itemHandle], purpose: purposeHandle,
            consent: consentValue, at: instant
        )
        let decision = engine.decide(request)
        print("partner   \(partner) (\(contract.legalName), \(contract.kind.rawValue))")
        print("contract  \(decision.contractVersion), term \(contract.term.from)…\(contract.term.to)")
        print("item      \(item): \(ContractChange.describe(contract.grants[item]))")
        print("purpose   \(purpose)\(contract.purposes.contains(purpose) ? "" : " (not among the contract's purposes)")")
        switch decision.items[0] {
        case .disclosed(let profile):
            print("decision  disclosed, masked with profile \(profile)")
        case let .withheld(reason, unlock):
            print("decision  withheld: \(reason.rawValue)")
            print("unlock    \(unlock.text)")
        }
    }

    /// The consent in the file at `path`, or an error naming the file and what is wrong with it.
    private static func consent(at path: String) throws -> Consent {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("--consent \(path): cannot read the file")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(ConsentFile.self, from: data).consent
        } catch let error as DecodingError {
            throw ValidationError("--consent \(path): not a consent: \(describe(error))")
        }
    }

    /// Which member of the consent JSON is wrong and why, without the decoder's debug text.
    private static func describe(_ error: DecodingError) -> String {
        func member(_ path: [any CodingKey]) -> String {
            path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .keyNotFound(key, context):
            return "member '\(member(context.codingPath + [key]))' is missing"
        case let .typeMismatch(_, context), let .valueNotFound(_, context):
            return "member '\(member(context.codingPath))' has the wrong type or is null"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty ? "not valid JSON" : "member '\(member(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func instant(_ text: String) throws -> Date {
        if let day = CivilDate(text) { return day.start() }
        guard let date = Date(rfc3339: text) else {
            throw ValidationError("--at must be YYYY-MM-DD or an RFC 3339 instant (YYYY-MM-DDTHH:MM:SSZ or with an offset), every field within its range")
        }
        return date
    }
}
