import ArgumentParser
import BrokerCore
import Foundation
import Gateway
import PKI
import X509

/// `credit-broker pki init|revoke`: the development PKI for mutual TLS.
struct PKICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki",
        abstract: "Development PKI: a partner CA, a server certificate, partner client certificates, a CRL, and admin certificates.",
        subcommands: [Init.self, Revoke.self]
    )

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create a CA, a server certificate (localhost, 127.0.0.1), one client certificate per mutual-TLS partner, an empty CRL, and an admin CA with its empty CRL and one certificate per admin role.",
            discussion: """
                Each client certificate carries the first subject its partner's contract names, so the \
                contract binds it as shipped. The printed fingerprints are for contracts that bind by sha256.
                """
        )

        @Option(help: ArgumentHelp("Folder to create the PKI in.", valueName: "path"))
        var out: String

        @Option(help: ArgumentHelp("Partner contracts directory.", valueName: "path"))
        var contracts = "Contracts"

        @OptionGroup var policies: ContractsOptions

        func run() async throws {
            let set = try ContractSet(files: ContractsOptions.contractFiles(at: contracts), policies: policies.load())
            let partners = try DevelopmentPKI.mutualTLSPartners(of: set.governing(on: CivilDate(Date())))
            let pki = DevelopmentPKI(folder: URL(filePath: out))
            let clients = try pki.create(partners: partners)
            print("CA \(pki.caURL.relativePath), server certificate \(pki.serverCertificateURL.relativePath), CRL \(pki.revocationListURL.relativePath)")
            print("admin CA \(pki.adminCAURL.relativePath), admin CRL \(pki.adminRevocationListURL.relativePath), admin certificates \(AdminRole.allCases.map { pki.adminCertificateURL($0).relativePath }.joined(separator: ", "))")
            for client in clients {
                print("\(client.partnerID)\tserial \(client.serial)\tsha256 \(client.fingerprint.contractForm)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke",
            abstract: "Add a client certificate to its CA's CRL (a running server refuses it from the next handshake).",
            discussion: """
                Partner certificates go on crl.pem (the partner CA's), admin certificates with --admin on \
                admin-crl.pem (the admin CA's): 'pki revoke --dir DIR bank.icbc_jiangsu', \
                'pki revoke --dir DIR --admin security', or a serial number with or without --admin.
                """
        )

        @Option(help: ArgumentHelp("The PKI folder.", valueName: "path"))
        var dir: String

        @Flag(help: "Revoke an admin certificate: add it to the admin CA's CRL (admin-crl.pem) instead of the partner CA's.")
        var admin = false

        @Argument(help: ArgumentHelp(
            "A serial number (hex, colons allowed), or by name: a partner id with a certificate in clients/, with --admin an admin role (system, security, audit).",
            valueName: "certificate"
        ))
        var certificate: String

        func run() async throws {
            let pki = DevelopmentPKI(folder: URL(filePath: dir))
            let authority: DevelopmentPKI.Authority = admin ? .admin : .partner
            let serial = try pki.revoke(certificate, of: authority)
            print("revoked serial \(serial) in \(pki.revocationListURL(of: authority).relativePath)")
        }
    }
}
