import ArgumentParser

/// `credit-broker admin …`: the admin API (partner contracts: propose, review, approve, suspend,
/// retire, history) from the command line, over mutual TLS with the admin's certificate.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Manage partner contracts through the admin API (mutual TLS with an admin certificate; never the database).",
        discussion: """
            A change is proposed by the system administrator (propose, retire) and takes effect once a \
            security administrator who is not the proposer approves it (approve); every gateway process \
            on the database serves it within seconds. suspend (system or security) refuses a partner's \
            every credential at once; reinstate (security) undoes it.

            Each command needs the admin listener's address and an admin certificate: --url, --cert, \
            --key and --cacert, or the environment (CREDIT_BROKER_ADMIN_URL, CREDIT_BROKER_ADMIN_CERT, \
            CREDIT_BROKER_ADMIN_KEY, CREDIT_BROKER_ADMIN_CA), or, with a development PKI, --pki DIR \
            --role ROLE (CREDIT_BROKER_ADMIN_PKI, CREDIT_BROKER_ADMIN_ROLE). Against the demo: \
            --pki .credit-broker/pki --role system.

            Output is for people; --json prints the API's JSON answer unchanged. Exit status: 0 done; \
            \(AdminFailure.refusedCode) the API refused the request (4xx: the role may not, an invalid \
            document, an unknown id…, its reason on standard error); \(AdminFailure.serverErrorCode) the \
            API failed (5xx) or answered what this command cannot read; \(AdminFailure.unreachableCode) \
            no answer (connection or TLS failure: wrong URL, untrusted server, admin certificate refused); \
            \(AdminFailure.setupCode) a bad option, or a certificate, key or document file missing or unreadable.
            """,
        subcommands: [
            AdminPartnersCommand.self,
            AdminProposeCommand.self,
            AdminListCommand.self,
            AdminShowCommand.self,
            AdminDiffCommand.self,
            AdminWhatIfCommand.self,
            AdminApproveCommand.self,
            AdminRejectCommand.self,
            AdminSuspendCommand.self,
            AdminReinstateCommand.self,
            AdminRetireCommand.self,
            AdminHistoryCommand.self,
        ]
    )
}
