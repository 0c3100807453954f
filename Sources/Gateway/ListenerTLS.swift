import Foundation
import NIOSSL

/// PEM files of a mutual-TLS listener (TLS 1.2 or 1.3): its certificate chain and key, the CA its
/// clients' certificates must chain to, and that CA's CRL, re-read when it changes. The partner
/// listener (`GatewayServer`) asks for a client certificate (agencies use keys instead); the admin
/// listener (`AdminServer`) requires one.
public struct ListenerTLS: Sendable {
    public var certificateChain: URL
    public var privateKey: URL
    /// The CA that issues the listener's client certificates: the partner CA or the admin CA, never both.
    public var clientCA: URL
    /// The client CA's CRL.
    public var revocationList: URL

    public init(certificateChain: URL, privateKey: URL, clientCA: URL, revocationList: URL) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.clientCA = clientCA
        self.revocationList = revocationList
    }

    /// The files of a development PKI (`credit-broker pki init`): its server certificate, and the CA
    /// and CRL of `authority`'s clients.
    public init(developmentPKI pki: DevelopmentPKI, clients authority: DevelopmentPKI.Authority) {
        self.init(
            certificateChain: pki.serverCertificateURL, privateKey: pki.serverKeyURL,
            clientCA: pki.caURL(of: authority), revocationList: pki.revocationListURL(of: authority)
        )
    }

    /// TLS 1.2 suites a listener accepts: ephemeral ECDH and an AEAD cipher only (TLS 1.3's suites
    /// all are). BoringSSL's default list also has ECDHE with AES-CBC and SHA-1, which no partner needs.
    static let tls12CipherSuites: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    /// A listener's server configuration: its certificate and key, TLS 1.2 or 1.3 with
    /// `tls12CipherSuites`, client certificates verified against `clientCA` (`verification` says
    /// whether one is required), and `protocols` by ALPN.
    func serverConfiguration(verification: CertificateVerification, protocols: [String]) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificateChain.path).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: privateKey.path, format: .pem))
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.cipherSuiteValues = Self.tls12CipherSuites
        configuration.certificateVerification = verification
        configuration.trustRoots = .file(clientCA.path)
        configuration.applicationProtocols = protocols
        return configuration
    }
}
