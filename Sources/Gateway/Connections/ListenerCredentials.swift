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

    /// TLS 1.2 or 1.3 with the server's identity (reloadable), client certificates checked against
    /// the CA and its CRL, and `applicationProtocols` offered by ALPN.
    func channelConfiguration(applicationProtocols: [String], clientCertificates: CertificateVerification) -> TLSChannelConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: identity.initialChain, privateKey: identity.initialKey)
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = clientCertificates
        configuration.trustRoots = .file(tls.clientCA.path)
        configuration.applicationProtocols = applicationProtocols
        configuration.sslContextCallback = identity.contextCallback
        return TLSChannelConfiguration(tlsConfiguration: configuration, customAsyncVerificationCallback: verifier.verify)
    }
}
