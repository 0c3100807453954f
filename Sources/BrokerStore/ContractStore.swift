import BrokerCore
import Foundation
import PostgresClient

/// Every applied version of every partner contract, in the insert-only `contract_versions` table.
///
/// A partner's contracts are told apart by their term's first day; applying a contract adds a row
/// only when it differs from the newest version on file for the same partner and term start, so
/// applying the same files again adds nothing and an old version is never rewritten.
public struct ContractStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Applies `contracts` (already checked together) in one transaction.
    /// - Returns: the versions added, in the order given.
    public func apply(_ contracts: [(contract: Contract, file: String)]) async throws -> [ContractVersion] {
        try await pool.transaction { connection in
            // Serialises concurrent applies, so that two cannot both add the same version.
            try await connection.execute(Self.lock)
            var added: [ContractVersion] = []
            for (contract, file) in contracts {
                let version = contract.version
                let result = try await connection.execute(Self.insertIfNew, [
                    contract.partnerID, version.label, version.digest, contract.term.from.description,
                    contract.term.to.description, PostgresJSON(contract), file,
                ])
                if result.count > 0 { added.append(version) }
            }
            return added
        }
    }

    /// The version of `partnerID`'s contract that governed `day` as the database knew it at the end
    /// of that day (China time): the newest applied by then whose term contains the day.
    public func version(of partnerID: String, on day: CivilDate) async throws -> StoredContractVersion? {
        let result = try await pool.execute(Self.governing, [partnerID, day.description, day.adding(days: 1).start()])
        return try result.first.map { row in
            StoredContractVersion(
                contract: try row.decode(PostgresJSON<Contract>.self, at: 0).value,
                sourceFile: try row.decode(at: 1), appliedAt: try row.decode(at: 2)
            )
        }
    }

    /// How many versions are on file for `partnerID`.
    public func versionCount(of partnerID: String) async throws -> Int {
        try await pool.execute(Self.count, [partnerID])[0].decode(at: 0)
    }

    private static let lock = PostgresStatement("SELECT pg_advisory_xact_lock(hashtext('contract_versions'))")

    private static let insertIfNew = PostgresStatement("""
        INSERT INTO contract_versions (partner_id, label, digest, term_from, term_to, body, source_file)
        SELECT $1, $2, $3, $4::date, $5::date, $6::jsonb, $7
        WHERE $3::text IS DISTINCT FROM (
            SELECT digest FROM contract_versions WHERE partner_id = $1 AND term_from = $4::date ORDER BY id DESC LIMIT 1
        )
        RETURNING id
        """)

    private static let governing = PostgresStatement("""
        SELECT body, source_file, applied_at FROM contract_versions
        WHERE partner_id = $1 AND term_from <= $2::date AND $2::date <= term_to AND applied_at < $3
        ORDER BY id DESC LIMIT 1
        """)

    private static let count = PostgresStatement("SELECT count(*) FROM contract_versions WHERE partner_id = $1")
}
