import HummingbirdHTTP2
import Logging
import NIOSSL

/// What a mutual-TLS listener (partner or admin) authenticates with, and what `Broker.reload()`
/// re-reads: the server's certificate and key (`ServerIdentity`, shared by listeners that use the
/// same files) and the client CA's CRL (`ClientCertificateVerifier`).
struct ListenerCredentials: Sendable {
    let tls: ListenerTLS
    let identity: ServerIdentity
    let verifier: ClientCertificateVerifier

    /// - Parameter sharing: another listener's credentials; its identity is reused if it serves the same files.
    init(_ tls: ListenerTLS, counters: AuthenticationCounters, logger: Logger, sharing other: ListenerCredentials? = nil) throws {
        self.tls = tls
        if let other, other.tls.certificateChain == tls.certificateChain, other.tls.privateKey == tls.privateKey {
            identity = other.identity
        } else {
            identity = try ServerIdentity(certificate: tls.certificateChain, key: tls.privateKey)
        }
        verifier = try ClientCertificateVerifier(ca: tls.clientCA, revocationList: tls.revocationList, counters: counters, logger: logger)
    }

    /// TLS 1.2 suites a listener accepts: ephemeral ECDH and an AEAD cipher only (TLS 1.3's suites
    /// all are). BoringSSL's default list also has ECDHE with AES-CBC and SHA-1, which no partner needs.
    static let tls12CipherSuites: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    /// TLS 1.2 (with `tls12CipherSuites`) or 1.3 with the server's identity (reloadable), client
    /// certificates checked against the CA and its CRL, and `applicationProtocols` offered by ALPN.
    func channelConfiguration(applicationProtocols: [String], clientCertificates: CertificateVerification) -> TLSChannelConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: identity.initialChain, privateKey: identity.initialKey)
        configuration.minimumTLSVersion = .tlsv12
        configuration.cipherSuiteValues = Self.tls12CipherSuites
        configuration.certificateVerification = clientCertificates
        configuration.trustRoots = .file(tls.clientCA.path)
        configuration.applicationProtocols = applicationProtocols
        configuration.sslContextCallback = identity.contextCallback
        return TLSChannelConfiguration(tlsConfiguration: configuration, customAsyncVerificationCallback: verifier.verify)
    }
}
