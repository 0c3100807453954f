import Foundation
import Hummingbird

/// Routes every authenticated partner may call regardless of its contract's items.
///
/// - `GET /v1/partner`: who the broker takes the caller to be (partner, kind, contract version,
///   credential), with a receipt, so a partner can check its credentials end to end.
/// - `GET /v1/receipt-key`: the Ed25519 public key receipts verify with (PEM; no authentication).
struct PartnerRoutes {
    let signer: ReceiptSigner

    private struct Identity: Encodable {
        let partner: String
        let kind: String
        let contractVersion: String
        let credential: String

        enum CodingKeys: String, CodingKey { case partner, kind, contractVersion = "contract_version", credential }
    }

    func registerPublic(on router: Router<GatewayRequestContext>) {
        router.get("v1/receipt-key") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/x-pem-file"],
                body: .init(byteBuffer: ByteBuffer(string: signer.publicKeyPEM))
            )
        }
    }

    func registerAuthenticated(on group: RouterGroup<GatewayRequestContext>) {
        group.get("partner") { _, context -> Response in
            let partner = try context.requirePartner()
            let credential = switch partner.credential {
            case .certificate(let fingerprint): "certificate sha256:\(fingerprint)"
            case .apiKey(let id): "api key \(id)"
            }
            let body = try JSONResponse.encode(Identity(
                partner: partner.partnerID, kind: partner.contract.kind.rawValue,
                contractVersion: partner.contract.version.description, credential: credential
            ))
            let receipt = Receipt(
                requestID: context.id, partnerID: partner.partnerID, issuedAt: context.instant, itemsDisclosed: [],
                contractVersion: partner.contract.version.description, consentID: nil, body: body
            )
            return try JSONResponse.response(body, receipt: signer.token(for: receipt))
        }
    }
}
