import Crypto
import Foundation
import NIOCore
import NIOSSL
import PKI
import Synchronization
import X509

/// A TLS listener's certificate chain and private key, read at start and again on demand (SIGHUP,
/// `Broker.reload()`): new connections are then served the new pair, connections already open keep
/// theirs. The listener's `NIOSSLContext` is built once; swift-nio-ssl's context callback
/// (`sslContextCallback`, at each ClientHello) hands every handshake the pair last loaded.
///
/// A pair is taken only if it is whole and usable: the chain parses, the key parses and belongs to
/// the leaf certificate, the leaf is within its validity, and BoringSSL accepts the two together.
/// Anything less on a reload keeps the pair being served and says why.
final class ServerIdentity: Sendable {
    /// One pair as read from the files.
    private struct Pair: Sendable {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        /// A digest of the two files, to tell an unchanged pair (the key's bytes are not kept twice).
        let files: [UInt8]
        /// Serial, fingerprint and expiry of the leaf, for the log (a server certificate names the server, no person).
        let summary: String
    }

    /// Why a pair was not taken.
    struct Refusal: Error, CustomStringConvertible {
        let description: String
    }

    let certificateURL: URL
    let keyURL: URL
    private let initial: Pair
    /// The pair loaded by the last successful reload (`nil`: the initial one).
    private let reloaded = Mutex<Pair?>(nil)

    /// Reads the pair; throws (the listener does not start) if it is not usable.
    init(certificate: URL, key: URL) throws {
        certificateURL = certificate
        keyURL = key
        initial = try Self.load(certificate: certificate, key: key)
    }

    /// The chain the listener's context is built with.
    var initialChain: [NIOSSLCertificateSource] { initial.chain.map { .certificate($0) } }
    var initialKey: NIOSSLPrivateKeySource { .privateKey(initial.key) }

    /// The leaf being served now, for the log.
    var summary: String { (reloaded.withLock { $0 } ?? initial).summary }

    /// swift-nio-ssl's per-handshake callback: the reloaded pair, if any (no override otherwise).
    var contextCallback: NIOSSLContextCallback {
        { [self] _, promise in
            var override = NIOSSLContextConfigurationOverride()
            if let pair = self.reloaded.withLock({ $0 }) {
                override.certificateChain = pair.chain.map { .certificate($0) }
                override.privateKey = .privateKey(pair.key)
            }
            promise.succeed(override)
        }
    }

    /// Reads the files again. A usable pair that differs from the one served is served to new
    /// connections from now on.
    /// - Returns: whether the served pair changed; throws `Refusal` (the served pair stays) if the
    ///   files do not hold a usable pair.
    func reload() throws -> Bool {
        let pair = try Self.load(certificate: certificateURL, key: keyURL)
        return reloaded.withLock { current in
            guard pair.files != (current ?? initial).files else { return false }
            current = pair
            return true
        }
    }

    private static func load(certificate: URL, key: URL) throws -> Pair {
        guard let certificateBytes = try? Array(Data(contentsOf: certificate)) else { throw Refusal(description: "cannot read \(certificate.path)") }
        guard let keyBytes = try? Array(Data(contentsOf: key)) else { throw Refusal(description: "cannot read \(key.path)") }
        guard let chain = try? NIOSSLCertificate.fromPEMBytes(certificateBytes), let leafCertificate = chain.first else {
            throw Refusal(description: "\(certificate.path) holds no PEM certificate")
        }
        guard let privateKey = try? NIOSSLPrivateKey(bytes: keyBytes, format: .pem),
              let keyText = String(bytes: keyBytes, encoding: .utf8), let x509Key = try? Certificate.PrivateKey(pemEncoded: keyText)
        else {
            throw Refusal(description: "\(key.path) holds no unencrypted PEM private key")
        }
        guard let leaf = try? Certificate(derEncoded: leafCertificate.toDERBytes()) else {
            throw Refusal(description: "\(certificate.path): the first certificate does not parse")
        }
        guard x509Key.publicKey == leaf.publicKey else {
            throw Refusal(description: "\(key.path) is not the key of the certificate in \(certificate.path)")
        }
        let now = Date()
        guard leaf.notValidBefore <= now else {
            throw Refusal(description: "\(certificate.path) is not valid before \(leaf.notValidBefore.formatted(.iso8601))")
        }
        guard now <= leaf.notValidAfter else {
            throw Refusal(description: "\(certificate.path) expired on \(leaf.notValidAfter.formatted(.iso8601))")
        }
        do {
            _ = try NIOSSLContext(configuration: .makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey)
            ))
        } catch {
            throw Refusal(description: "TLS refuses \(certificate.path) with \(key.path): \(error)")
        }
        let fingerprint = CertificateFingerprint(leaf).hex
        return Pair(
            chain: chain, key: privateKey, files: Array(SHA256.hash(data: Array(SHA256.hash(data: certificateBytes)) + Array(SHA256.hash(data: keyBytes)))),
            summary: "serial \(leaf.serialNumber), sha256 \(fingerprint.prefix(16))…, valid until \(leaf.notValidAfter.formatted(.iso8601))"
        )
    }
}
