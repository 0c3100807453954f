import ArgumentParser
import BrokerCore
import Foundation
import Gateway

// `credit-broker admin propose|list|show|diff|what-if|approve|reject`: a contract version's way
// from proposal to the contract in force.

struct AdminProposeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "propose",
        abstract: "Propose a contract version (system role): a changed contract, or a new partner's first.",
        discussion: "Nothing changes until a security administrator who is not the proposer approves it."
    )

    @Argument(help: "The contract document, in the schema of Contracts/*.yaml (YAML, or JSON if it ends in .json).")
    var file: String

    @Option(help: "When it takes effect once approved: an RFC 3339 instant (2027-01-01T00:00:00+08:00) or a day (YYYY-MM-DD, from its start, China time); default on approval.")
    var effectiveFrom: String?

    @Option(help: "Why, for the reviewer and the audit trail (up to 500 characters).")
    var reason: String?

    @OptionGroup var connection: AdminConnectionOptions

    func run() async throws {
        try await connection.perform(ProposalView.self) { client throws(AdminFailure) in
            let document = try AdminConnectionOptions.read(.init(value: file, origin: "FILE"), what: "contract document")
            return try await client.send(
                .POST, ["proposals"], query: [("effective_from", effectiveFrom), ("reason", reason)], body: Data(document),
                contentType: file.lowercased().hasSuffix(".json") ? "application/json" : "application/yaml"
            )
        } describe: { proposal, _ in
            proposal.text + "\n\nNext, a security administrator who is not the proposer reviews it "
                + "(credit-broker admin what-if \(proposal.id)) and approves or rejects it (credit-broker admin approve \(proposal.id))."
        }
    }
}

struct AdminListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List proposals, newest first.")

    @Option(help: "Only those proposed, approved, rejected or stale.")
    var status: String?

    @Option(help: "Only those for this partner id.")
    var partner: String?

    @Option(help: "At most this many (1…500).")
    var limit: Int?

    @OptionGroup var connection: AdminConnectionOptions

    func run() async throws {
        try await connection.perform(ProposalList.self) { client throws(AdminFailure) in
            try await client.send(.GET, ["proposals"], query: [("status", status), ("partner", partner), ("limit", limit.map(String.init))])
        } describe: { list, _ in
            list.text
        }
    }
}

struct AdminShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a proposal: who proposed it, its status and, while open, its changes against the version in force."
    )

    @Argument(help: "The proposal's id.")
    var id: Int64

    @Flag(help: "Print the contract document as proposed instead (to save or review it).")
    var document = false

    @OptionGroup var connection: AdminConnectionOptions

    func run() async throws {
        try await connection.perform(ProposalView.self) { client throws(AdminFailure) in
            try await client.send(.GET, ["proposals", "\(id)"])
        } describe: { proposal, _ in
            guard document else { return proposal.text }
            let text = proposal.document ?? ""
            return text.hasSuffix("\n") ? String(text.dropLast()) : text
        }
    }
}

struct AdminDiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "Print an open proposal's changes against the partner's version in force, as `contracts diff` prints them."
    )

    @Argument(help: "The proposal's id.")
    var id: Int64

    @OptionGroup var connection: AdminConnectionOptions

    func run() async throws {
        try await connection.perform(ProposalView.self) { client throws(AdminFailure) in
            try await client.send(.GET, ["proposals", "\(id)"])
        } describe: { proposal, _ in
            guard let changes = proposal.changes else {
                return "proposal \(proposal.id) is \(proposal.status): changes are shown while a proposal is open; "
                    + "credit-broker admin history \(proposal.partner) lists the versions in force"
            }
            return (changes.map { $0.line(partner: proposal.partner) } + [ContractChange.summary(changes.count)]).joined(separator: "\n")
        }
    }
}

struct AdminWhatIfCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "what-if",
        abstract: "Replay the partner's metered decisions of the last days against a proposal: per item, how many would flip."
    )

    @Argument(help: "The proposal's id.")
    var id: Int64

    @Option(help: "How many days back to replay (1…366; default 30).")
    var days: Int?

    @OptionGroup var connection: AdminConnectionOptions

    func run() async throws {
        try await connection.perform(WhatIfView.self) { client throws(AdminFailure) in
            try await client.send(.GET, ["proposals", "\(id)", "what-if"], query: [("days", days.map(String.init))])
        } describe: { report, _ in
            report.text
        }
    }
}

struct AdminApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve a proposal (security role, not the proposer): its version takes effect at its effective_from, or now, in every gateway process."
    )

    @Argument(help: "The proposal's id.")
    var id: Int64

    @Option(help: "Why, for the audit trail (up to 500 characters).")
    var reason: String?

    @OptionGroup var connection: AdminConnectionOptions

    func run() async throws {
        try await connection.perform(ApprovalView.self) { client throws(AdminFailure) in
            try await client.send(.POST, ["proposals", "\(id)", "approve"], body: AdminClient.body(["reason": reason]))
        } describe: { approval, reply in
            ([approval.text] + [reply.servedBy].compactMap { $0 }).joined(separator: "\n")
        }
    }
}

struct AdminRejectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reject", abstract: "Reject a proposal (security role): it never takes effect.")

    @Argument(help: "The proposal's id.")
    var id: Int64

    @Option(help: "Why (required; up to 500 characters).")
    var reason: String

    @OptionGroup var connection: AdminConnectionOptions

    func run() async throws {
        try await connection.perform(ProposalView.self) { client throws(AdminFailure) in
            try await client.send(.POST, ["proposals", "\(id)", "reject"], body: AdminClient.body(["reason": reason]))
        } describe: { proposal, _ in
            "rejected proposal \(proposal.id): \(proposal.what)\(AdminAnswer.quoted(proposal.decisionReason ?? ""))"
        }
    }
}
