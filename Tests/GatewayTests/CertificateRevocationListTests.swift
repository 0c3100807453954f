import Crypto
import Foundation
import Gateway
import PKI
import Testing
import X509

struct CertificateRevocationListTests {
    let ca: CertificateAuthority

    init() throws {
        ca = try CertificateAuthority(subject: DistinguishedName(text: "CN=Test Partner CA,O=CreditBroker,C=CN"))
    }

    private func list(_ serials: [Certificate.SerialNumber]) -> CertificateRevocationList {
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        return CertificateRevocationList(
            issuer: ca.certificate.subject, thisUpdate: now, nextUpdate: now + 86_400,
            entries: serials.map { .init(serial: $0, revokedAt: now) }
        )
    }

    @Test func roundTripsThroughPEMAndRevokesExactlyItsSerials() throws {
        let revoked = [Certificate.SerialNumber(), Certificate.SerialNumber(12_345)]
        let original = list(revoked)
        let pem = try original.pemEncoded(signedBy: ca.privateKey)
        #expect(pem.hasPrefix("-----BEGIN X509 CRL-----"))
        let parsed = try CertificateRevocationList(pemEncoded: pem, issuer: ca.certificate)
        #expect(parsed == original)
        #expect(revoked.allSatisfy(parsed.revokes))
        #expect(!parsed.revokes(Certificate.SerialNumber()))
        #expect(try CertificateRevocationList(pemEncoded: list([]).pemEncoded(signedBy: ca.privateKey), issuer: ca.certificate).entries.isEmpty)
    }

    @Test func aListSignedByAnotherKeyIsRejected() throws {
        let pem = try list([Certificate.SerialNumber()]).pemEncoded(signedBy: P256.Signing.PrivateKey())
        #expect(throws: CertificateRevocationList.Failure.self) { try CertificateRevocationList(pemEncoded: pem, issuer: ca.certificate) }
    }

    @Test func garbageIsRejectedWithAReason() {
        #expect(throws: CertificateRevocationList.Failure.self) {
            try CertificateRevocationList(pemEncoded: "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n", issuer: ca.certificate)
        }
    }
}
