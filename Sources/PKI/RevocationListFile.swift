import Foundation
import Synchronization
import X509

/// A CA's CRL on disk (the partner CA's or the admin CA's), re-read whenever its modification time,
/// size or inode changes, so that a revocation takes effect on the next handshake without a restart,
/// and whatever they say on `reload()` (SIGHUP: a file rewritten in place with its old time and size).
///
/// Fails closed: a CRL that is missing, malformed or not signed by the CA refuses every certificate
/// until a good one is in place.
public final class RevocationListFile: Sendable {
    /// What identifies one version of the file.
    private struct Stamp: Hashable, Sendable {
        let modified: Date?
        let size: Int?
        let inode: Int?
    }

    private struct Loaded: Sendable {
        var stamp: Stamp
        var list: Result<CertificateRevocationList, CertificateRevocationList.Failure>
    }

    public let url: URL
    private let ca: Certificate
    private let loaded = Mutex<Loaded?>(nil)

    public init(url: URL, ca: Certificate) {
        self.url = url
        self.ca = ca
    }

    /// The list read again now, whether or not the file looks changed.
    public func reload() -> Result<CertificateRevocationList, CertificateRevocationList.Failure> {
        loaded.withLock { $0 = nil }
        return current()
    }

    /// The current list, re-read if the file changed since the last call.
    public func current() -> Result<CertificateRevocationList, CertificateRevocationList.Failure> {
        let attributes = (try? FileManager.default.attributesOfItem(atPath: url.path)) ?? [:]
        let stamp = Stamp(
            modified: attributes[.modificationDate] as? Date,
            size: (attributes[.size] as? NSNumber)?.intValue,
            inode: (attributes[.systemFileNumber] as? NSNumber)?.intValue
        )
        if let cached = loaded.withLock({ $0 }), cached.stamp == stamp { return cached.list }
        let list: Result<CertificateRevocationList, CertificateRevocationList.Failure>
        do {
            list = .success(try CertificateRevocationList(pemEncoded: String(contentsOf: url, encoding: .utf8), issuer: ca))
        } catch let failure as CertificateRevocationList.Failure {
            list = .failure(failure)
        } catch {
            list = .failure(.malformed("cannot read \(url.lastPathComponent)"))
        }
        loaded.withLock { $0 = Loaded(stamp: stamp, list: list) }
        return list
    }
}
