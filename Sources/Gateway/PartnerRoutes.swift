import BrokerCore
import Foundation
import Hummingbird

/// Routes every authenticated partner may call regardless of its contract's items.
///
/// - `GET /v1/partner`: who the broker takes the caller to be (partner, kind, contract version,
///   credential), with a receipt (naming no item), so a partner can check its credentials end to end.
/// - `GET /v1/receipt-key`: the public keys receipts verify with, Ed25519 then SM2 (PEM; no
///   authentication); `?suite=ed25519` or `?suite=sm2-sm3` for one of them alone.
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
        router.get("v1/receipt-key") { request, _ in
            var pem = signer.publicKeysPEM
            if let text = request.uri.queryParameters.get("suite") {
                guard let suite = ReceiptSuite(rawValue: String(text)) else {
                    let suites = ReceiptSuite.allCases.map(\.rawValue).joined(separator: " or ")
                    throw Problem.invalidRequest("suite", "suite must be \(suites).")
                }
                pem = signer.publicKeyPEM(suite)
            }
            return Response(
                status: .ok, headers: [.contentType: "application/x-pem-file"],
                body: .init(byteBuffer: ByteBuffer(string: pem))
            )
        }
    }

    func registerAuthenticated(on routes: DisclosingRoutes) {
        routes.get("partner") { _, context in
            let partner = try context.requirePartner()
            let credential = switch partner.credential {
            case .certificate(let fingerprint): "certificate sha256:\(fingerprint)"
            case .apiKey(let id): "api key \(id)"
            }
            return try DisclosedAnswer(
                json: Identity(
                    partner: partner.partnerID, kind: partner.contract.kind.rawValue,
                    contractVersion: partner.contract.version.description, credential: credential
                ),
                disclosure: Disclosure(purpose: nil, contractVersion: partner.contract.version)
            )
        }
    }
}
