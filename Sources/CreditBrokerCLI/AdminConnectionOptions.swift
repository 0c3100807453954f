import ArgumentParser
import BrokerCore
import Foundation
import Gateway
import NIOSSL
import PKI
import X509

/// Where the admin API is and who calls it, for the `admin` subcommands: flags first, then the
/// environment, then the development PKI's files (`--pki DIR --role ROLE`).
struct AdminConnectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The admin listener, https://host:port (env CREDIT_BROKER_ADMIN_URL; default https://localhost:8444, the demo's).", valueName: "url"
    ))
    var url: String?

    @Option(help: ArgumentHelp("The admin's certificate, PEM (env CREDIT_BROKER_ADMIN_CERT).", valueName: "pem"))
    var cert: String?

    @Option(help: ArgumentHelp("The certificate's private key, PEM (env CREDIT_BROKER_ADMIN_KEY).", valueName: "pem"))
    var key: String?

    @Option(help: ArgumentHelp(
        "The CA that issued the admin listener's certificate, PEM (env CREDIT_BROKER_ADMIN_CA); default the system's trusted CAs.",
        valueName: "pem"
    ))
    var cacert: String?

    @Option(help: ArgumentHelp(
        "A development PKI (`credit-broker pki init`, or the demo's <state-dir>/pki): --cert, --key and --cacert default to its admins/<role>.pem, admins/<role>-key.pem and ca.pem (env CREDIT_BROKER_ADMIN_PKI).",
        valueName: "dir"
    ))
    var pki: String?

    @Option(help: ArgumentHelp("With --pki: whose certificate, system, security or audit (env CREDIT_BROKER_ADMIN_ROLE).", valueName: "role"))
    var role: String?

    @Flag(help: "Print the API's JSON answer unchanged instead of lines for people.")
    var json = false

    /// The demo's admin listener (its partner port + 1).
    static let defaultURL = "https://localhost:8444"

    /// A setting and where it came from (`--cert`, `CREDIT_BROKER_ADMIN_CERT`, `--pki`), to name in errors.
    struct Setting {
        let value: String
        let origin: String
    }

    private static func setting(_ flag: String?, _ option: String, _ variable: String) -> Setting? {
        if let flag { return Setting(value: flag, origin: option) }
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else { return nil }
        return Setting(value: value, origin: variable)
    }

    /// The client these options describe, its certificate and key read and checked.
    func client() throws(AdminFailure) -> AdminClient {
        let endpoint = try Self.endpoint(Self.setting(url, "--url", "CREDIT_BROKER_ADMIN_URL") ?? Setting(value: Self.defaultURL, origin: "the default --url"))
        var certificate = Self.setting(cert, "--cert", "CREDIT_BROKER_ADMIN_CERT")
        var privateKey = Self.setting(key, "--key", "CREDIT_BROKER_ADMIN_KEY")
        var authority = Self.setting(cacert, "--cacert", "CREDIT_BROKER_ADMIN_CA")
        if let folder = Self.setting(pki, "--pki", "CREDIT_BROKER_ADMIN_PKI") {
            guard let roleSetting = Self.setting(role, "--role", "CREDIT_BROKER_ADMIN_ROLE") else {
                throw .setup("\(folder.origin) needs --role (system, security or audit): whose certificate to use")
            }
            guard let role = AdminRole(rawValue: roleSetting.value) else {
                throw .setup("\(roleSetting.origin) must be system, security or audit")
            }
            let pki = DevelopmentPKI(folder: URL(filePath: folder.value))
            let origin = "\(folder.origin) \(folder.value) --role \(role.rawValue)"
            certificate = certificate ?? Setting(value: pki.adminCertificateURL(role).path, origin: origin)
            privateKey = privateKey ?? Setting(value: pki.adminKeyURL(role).path, origin: origin)
            authority = authority ?? Setting(value: pki.caURL.path, origin: origin)
        } else if role != nil {
            throw .setup("--role picks a certificate of a development PKI: give --pki DIR with it, or --cert and --key")
        }
        guard let certificate, let privateKey else {
            throw .setup(
                "the admin API takes only mutual TLS: give the admin's certificate and key (--cert and --key, or "
                    + "CREDIT_BROKER_ADMIN_CERT and CREDIT_BROKER_ADMIN_KEY), or --pki DIR --role ROLE for a development PKI"
            )
        }

        var tls = TLSConfiguration.makeClientConfiguration()
        let certificateBytes = try Self.read(certificate, what: "admin certificate")
        let chain = try Self.certificates(certificateBytes, certificate, what: "admin certificate")
        let keyBytes = try Self.read(privateKey, what: "admin certificate's private key")
        guard let key = try? NIOSSLPrivateKey(bytes: keyBytes, format: .pem) else {
            throw .setup("the admin certificate's private key (\(privateKey.origin)) \(privateKey.value) is not a PEM private key")
        }
        // A key that is not the certificate's fails the handshake with an obscure error; say so here.
        if let leaf = try? Certificate(pemEncoded: String(decoding: certificateBytes, as: UTF8.self)),
           let parsed = try? Certificate.PrivateKey(pemEncoded: String(decoding: keyBytes, as: UTF8.self)),
           parsed.publicKey != leaf.publicKey {
            throw .setup("the private key \(privateKey.value) (\(privateKey.origin)) is not the key of the certificate \(certificate.value) (\(certificate.origin))")
        }
        tls.certificateChain = chain.map { .certificate($0) }
        tls.privateKey = .privateKey(key)
        if let authority {
            tls.trustRoots = .certificates(try Self.certificates(Self.read(authority, what: "CA certificate"), authority, what: "CA certificate"))
        }
        return AdminClient(base: endpoint.base, endpoint: endpoint.name, tls: tls)
    }

    /// `https://host[:port]`, as a base URL without a trailing slash and as `host:port` for messages.
    private static func endpoint(_ setting: Setting) throws(AdminFailure) -> (base: String, name: String) {
        let text = setting.value.hasSuffix("/") ? String(setting.value.dropLast()) : setting.value
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            throw .setup("\(setting.origin) must be the admin listener's address, https://host:port")
        }
        guard components.scheme?.lowercased() == "https" else {
            throw .setup("\(setting.origin) must start with https://: the admin API is served over mutual TLS only")
        }
        guard components.path.isEmpty, components.query == nil, components.fragment == nil, components.user == nil else {
            throw .setup("\(setting.origin) must be https://host:port alone (no path, query or user); the commands add /admin/v1/…")
        }
        return (text, "\(host):\(components.port ?? 443)")
    }

    /// The bytes of the file a setting names, or an error naming the file and why it cannot be read.
    static func read(_ setting: Setting, what: String) throws(AdminFailure) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: setting.value, isDirectory: &isDirectory) else {
            throw .setup("the \(what) (\(setting.origin)) \(setting.value) does not exist")
        }
        guard !isDirectory.boolValue else { throw .setup("the \(what) (\(setting.origin)) \(setting.value) is a folder, not a file") }
        guard let data = FileManager.default.contents(atPath: setting.value) else {
            throw .setup("the \(what) (\(setting.origin)) \(setting.value) cannot be read by this account")
        }
        return Array(data)
    }

    /// The PEM certificates of a file's bytes (a chain: leaf first).
    private static func certificates(_ bytes: [UInt8], _ setting: Setting, what: String) throws(AdminFailure) -> [NIOSSLCertificate] {
        guard let certificates = try? NIOSSLCertificate.fromPEMBytes(bytes), !certificates.isEmpty else {
            throw .setup("the \(what) (\(setting.origin)) \(setting.value) holds no PEM certificate")
        }
        return certificates
    }
}

extension AdminConnectionOptions {
    /// Runs one admin call and prints its answer: the API's JSON unchanged with `--json`, else
    /// `describe`'s lines; a failure goes to standard error and exits with its code (`AdminFailure`).
    func perform<Answer: Decodable>(
        _ answer: Answer.Type,
        _ call: (AdminClient) async throws(AdminFailure) -> AdminClient.Reply,
        describe: (Answer, AdminClient.Reply) -> String
    ) async throws {
        do {
            let reply = try await call(try client())
            if json {
                FileHandle.standardOutput.write(reply.body)
                if reply.body.last != UInt8(ascii: "\n") { FileHandle.standardOutput.write(Data("\n".utf8)) }
            } else {
                print(describe(try AdminAnswer.decode(answer, from: reply.body), reply))
            }
        } catch {
            FileHandle.standardError.write(Data((error.lines.joined(separator: "\n") + "\n").utf8))
            throw ExitCode(error.exitCode)
        }
    }
}
