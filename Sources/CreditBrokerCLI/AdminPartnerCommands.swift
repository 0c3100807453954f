import ArgumentParser
import Foundation
import Gateway

// `credit-broker admin partners|suspend|reinstate|retire|history`: the partners and their status.

struct AdminPartnersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partners", abstract: "List every partner with its contract in force, its status and its credentials."
    )

    @OptionGroup var connection: AdminConnectionOptions

    func run() async throws {
        try await connection.perform(PartnerList.self) { client throws(AdminFailure) in
            try await client.send(.GET, ["partners"])
        } describe: { list, _ in
            list.text
        }
    }
}

/// `suspend` and `reinstate`: a partner's status, changed at once.
private func changeStatus(_ connection: AdminConnectionOptions, _ step: String, partner: String, reason: String) async throws {
    try await connection.perform(StatusView.self) { client throws(AdminFailure) in
        try await client.send(.POST, ["partners", partner, step], body: AdminClient.body(["reason": reason]))
    } describe: { status, reply in
        ([status.text] + [reply.servedBy].compactMap { $0 }).joined(separator: "\n")
    }
}

struct AdminSuspendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suspend",
        abstract: "Suspend a partner at once (system or security role): every credential refused from its next request, in every gateway process."
    )

    @Argument(help: "The partner id, e.g. agency.nj_anxin.")
    var partner: String

    @Option(help: "Why (required; up to 500 characters).")
    var reason: String

    @OptionGroup var connection: AdminConnectionOptions

    func run() async throws {
        try await changeStatus(connection, "suspend", partner: partner, reason: reason)
    }
}

struct AdminReinstateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reinstate", abstract: "Reinstate a suspended partner (security role): its credentials are served again at once."
    )

    @Argument(help: "The partner id.")
    var partner: String

    @Option(help: "Why (required; up to 500 characters).")
    var reason: String

    @OptionGroup var connection: AdminConnectionOptions

    func run() async throws {
        try await changeStatus(connection, "reinstate", partner: partner, reason: reason)
    }
}

struct AdminRetireCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retire",
        abstract: "Propose to retire a partner (system role): once approved, every credential is refused for good."
    )

    @Argument(help: "The partner id.")
    var partner: String

    @Option(help: "Why the partnership ends (required; up to 500 characters).")
    var reason: String

    @Option(help: "When, once approved: an RFC 3339 instant or a day (YYYY-MM-DD, China time); default on approval.")
    var effectiveFrom: String?

    @OptionGroup var connection: AdminConnectionOptions

    func run() async throws {
        try await connection.perform(ProposalView.self) { client throws(AdminFailure) in
            try await client.send(
                .POST, ["partners", partner, "retirement"], body: AdminClient.body(["reason": reason, "effective_from": effectiveFrom])
            )
        } describe: { proposal, _ in
            proposal.text + "\n\nNext, a security administrator who is not the proposer approves it (credit-broker admin approve \(proposal.id))."
        }
    }
}

struct AdminHistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Every version of a partner's contract with who proposed and approved it, its status changes, and what was in force at an instant."
    )

    @Argument(help: "The partner id.")
    var partner: String

    @Option(help: "Name the version in force at this instant (RFC 3339) or day (YYYY-MM-DD, China time).")
    var at: String?

    @OptionGroup var connection: AdminConnectionOptions

    func run() async throws {
        try await connection.perform(HistoryView.self) { client throws(AdminFailure) in
            try await client.send(.GET, ["partners", partner, "history"], query: [("at", at)])
        } describe: { history, _ in
            history.text(at: at)
        }
    }
}
