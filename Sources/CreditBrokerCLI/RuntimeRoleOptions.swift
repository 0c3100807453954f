import ArgumentParser
import BrokerStore
import Foundation

/// `serve` refuses a database role that could rewrite the meter ledger or the audit chain (the
/// schema's owner, a superuser) unless told to: production runs as the runtime role that
/// `Deploy/postgres/grants.sql` sets up.
struct RuntimeRoleOptions: ParsableArguments {
    @Flag(name: .customLong("allow-owner-role"), help: ArgumentHelp(
        """
        Serve even when the external database role is a superuser or may alter the schema, the meter ledger or the \
        audit chain (env CREDIT_BROKER_ALLOW_OWNER_ROLE=1). Production uses the runtime role of Deploy/postgres/grants.sql.
        """
    ))
    var allowOwnerRole = false

    var allowed: Bool {
        allowOwnerRole || ProcessInfo.processInfo.environment["CREDIT_BROKER_ALLOW_OWNER_ROLE"] == "1"
    }

    /// Throws, after closing `opened`, if the role of an external database holds powers a gateway
    /// must not have and the operator did not allow it. The embedded database (no URL) is a
    /// development cluster whose only role is its superuser, and is not checked.
    func refuseOwnerRole(_ database: DatabaseOptions, _ opened: BrokerDatabase) async throws {
        guard database.resolvedURL != nil, !allowed else { return }
        do {
            let powers = try await DatabaseRolePowers.excess(opened.pool)
            guard powers.isEmpty else {
                throw ValidationError("""
                    refusing to serve: the database role \(powers.joined(separator: ", ")); connect as the runtime role \
                    (Deploy/postgres/grants.sql), or pass --allow-owner-role
                    """)
            }
        } catch {
            await opened.close()
            throw error
        }
    }
}
