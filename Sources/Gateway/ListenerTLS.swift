import Foundation
import PKI

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
}
