import NIOCore
import NIOSSL
import Synchronization
import X509

/// The client certificate of each open TLS connection, looked up once per connection and
/// dropped when the connection closes.
///
/// Over HTTP/2 a request runs on a stream channel whose ancestor holds the TLS handler; over
/// HTTP/1 the request's own channel does.
final class PeerCertificateCache: Sendable {
    private let entries = Mutex<[ObjectIdentifier: PeerCertificate?]>([:])

    /// The verified client certificate of the connection `channel` belongs to; `nil` if none was presented.
    func peer(of channel: any Channel) async throws -> PeerCertificate? {
        var current: (any Channel)? = channel
        while let candidate = current {
            let key = ObjectIdentifier(candidate)
            if let cached = entries.withLock({ $0[key] }) { return cached }
            let certificate: NIOSSLCertificate?
            do {
                certificate = try await candidate.nioSSL_peerCertificate().get()
            } catch ChannelPipelineError.notFound {
                current = candidate.parent
                continue
            }
            let peer = try certificate.map { PeerCertificate(try Certificate(derEncoded: $0.toDERBytes())) }
            entries.withLock { $0[key] = .some(peer) }
            candidate.closeFuture.whenComplete { [weak self] _ in
                _ = self?.entries.withLock { $0.removeValue(forKey: key) }
            }
            return peer
        }
        return nil
    }
}
