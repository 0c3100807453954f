import ArgumentParser
import BrokerCore
import BrokerStore
import Foundation
import Logging

/// `credit-broker keys issue|revoke`: partner API keys.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Issue and revoke credit agencies' API keys (only a hash of the secret is stored).",
        subcommands: [Issue.self, Revoke.self]
    )

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue",
            abstract: "Issue a key for an agency and print it once; earlier keys stay valid until they expire or are revoked."
        )

        @Argument(help: "The agency's partner id, e.g. agency.nj_anxin.")
        var partner: String

        @Option(help: ArgumentHelp("Last day the key works (YYYY-MM-DD, China time); default: no expiry.", valueName: "date"))
        var expires: String?

        @Option(help: ArgumentHelp("Partner contracts directory, read only while the database's contract ledger is empty.", valueName: "path"))
        var contracts = "Contracts"

        @OptionGroup var policies: ContractsOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let lastDay = try expires.map { try CivilDate.option($0, name: "expires") }
            if let lastDay, lastDay < CivilDate.today() {
                throw ValidationError("--expires \(lastDay) is in the past: the key would never work (the last day is today or later, China time)")
            }
            let expiry = lastDay.map { $0.adding(days: 1).start() }
            let opened = try await database.open(migrate: true, logger: Logger(label: "credit-broker.keys"))
            let record: ApiKeyStore.Record, token: String
            do {
                // The partner's contract in the database's ledger; before the first `serve` has seeded
                // it, in the files it will be seeded from.
                let versions = try await ContractStore(pool: opened.pool).ledger().ledger.versions.map(\.contract)
                let known = versions.isEmpty
                    ? try ContractSet(files: ContractsOptions.contractFiles(at: contracts), policies: policies.load()).contracts : versions
                guard let contract = known.last(where: { $0.partnerID == partner }) else {
                    throw ValidationError("no contract names partner '\(partner)'\(versions.isEmpty ? " in \(contracts)" : " in the database")")
                }
                guard contract.kind == .creditAgency else {
                    throw ValidationError("'\(partner)' is a \(contract.kind.rawValue): it authenticates by client certificate, not API key")
                }
                (record, token) = try await AdminAuditLog(pool: opened.pool).recording({ connection in
                    try await ApiKeyStore.issue(partnerID: partner, expiresAt: expiry, on: connection)
                }, entry: { issued in
                    .commandLine(
                        "keys issue", partner: partner, status: 201,
                        detail: "issued \(issued.record.keyID)\(lastDay.map { ", last day \($0)" } ?? "")"
                    )
                })
                await opened.close()
            } catch {
                await opened.close()
                throw error
            }
            print(token)
            FileHandle.standardError.write(Data("key \(record.keyID) for \(partner)\(expires.map { " (last day \($0))" } ?? ""): store it now, it is not shown again\n".utf8))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke an API key by its id.")

        @Argument(help: "The key id, ak_ and 16 hex digits.")
        var keyID: String

        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard ApiKey.isKeyID(keyID) else { throw ValidationError("'\(keyID)' is not a key id (ak_ and 16 lowercase hex digits)") }
        }

        func run() async throws {
            let opened = try await database.open(migrate: true, logger: Logger(label: "credit-broker.keys"))
            let revoked: ApiKeyStore.Record?
            do {
                revoked = try await AdminAuditLog(pool: opened.pool).recording({ connection in
                    try await ApiKeyStore.revoke(keyID: keyID, on: connection)
                }, entry: { record in
                    .commandLine("keys revoke", partner: record?.partnerID, status: record == nil ? 404 : 200,
                                 detail: record.map { "revoked \($0.keyID)" } ?? "unknown-key")
                })
                await opened.close()
            } catch {
                await opened.close()
                throw error
            }
            guard let record = revoked else { throw ValidationError("no key \(keyID)") }
            print("revoked \(record.keyID) of \(record.partnerID)")
        }
    }
}

