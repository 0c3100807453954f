import BrokerCore
import Foundation
import Hummingbird

/// An answer that discloses, as a disclosing route hands it back: its exact bytes and what they
/// disclose (`Disclosure`).
///
/// It becomes a response in one place only, `response(context:signer:)`, which `DisclosingRoutes`
/// calls for every route registered there: the disclosure is noted for the request's meter event
/// (`MeterNote`), a `Broker-Receipt` is signed over exactly these bytes in the suite of the partner's
/// contract, then the bytes are sent. A route cannot answer otherwise, so it cannot leave out the
/// receipt or the meter's facts, nor sign bytes other than those sent.
struct DisclosedAnswer: Sendable {
    /// What the answer's receipt is a receipt of.
    enum Kind: Sendable, Hashable {
        /// A disclosure: the receipt names the items disclosed, the meter event records the same.
        case disclosure
        /// A consent receipt (the receipt's kind `consent`, naming `Disclosure.consentID`).
        case consentReceipt
        /// A page of what was disclosed and metered when it was produced, one meter event per subject
        /// (a batch review's results, `BatchReviewWorker`): the receipt names the items; this
        /// request's meter event records the call only, so nothing is counted twice.
        case meteredWhenProduced
    }

    let body: ByteBuffer
    let disclosure: Disclosure
    let kind: Kind
    var status: HTTPResponse.Status
    /// The response's headers but the receipt (`Content-Type` included).
    var headers: HTTPFields

    /// An answer of `body`'s exact bytes.
    init(
        _ body: some Sequence<UInt8>, disclosure: Disclosure, kind: Kind = .disclosure, status: HTTPResponse.Status = .ok,
        headers: HTTPFields = [.contentType: "application/json"]
    ) {
        self.body = ByteBuffer(bytes: body)
        self.disclosure = disclosure
        self.kind = kind
        self.status = status
        self.headers = headers
    }

    /// `value` as JSON (`JSONResponse.encode`), encoded once: the receipt covers these bytes.
    init(json value: some Encodable, disclosure: Disclosure, kind: Kind = .disclosure, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws {
        var headers = headers
        headers[.contentType] = "application/json"
        self.init(try JSONResponse.encode(value), disclosure: disclosure, kind: kind, status: status, headers: headers)
    }

    /// The response: the disclosure noted for the meter event, the receipt signed over `body`.
    func response(context: GatewayRequestContext, signer: ReceiptSigner) throws -> Response {
        let partner = try context.requirePartner()
        if kind != .meteredWhenProduced { context.meter.note(disclosure) }
        let receipt = try Receipt(
            requestID: context.id, partnerID: partner.partnerID, issuedAt: context.instant, itemsDisclosed: disclosure.disclosed,
            contractVersion: disclosure.contractVersion.description, consentID: disclosure.consentID, body: body.readableBytesView,
            kind: kind == .consentReceipt ? "consent" : nil, suite: partner.contract.receiptSuite
        )
        var headers = headers
        headers[.init(Receipt.headerName)!] = try signer.token(for: receipt)
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }
}
