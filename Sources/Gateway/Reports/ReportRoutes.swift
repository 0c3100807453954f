import BrokerCore
import Foundation
import Hummingbird
import Reports

/// `POST /v1/reports`: the credit report (信用报告) a loan officer files with the loan, for banks and
/// credit agencies. Billable like a query and decided exactly as one (`QueryService.decide`: the
/// contract, the purpose, the consent and its use, one round trip for the records, masking by the
/// partner's profile), metered and signed the same way; the quota unit (and a consent's use) is
/// given back if the report does not leave.
///
/// The body is a query's (`subject`, `purpose`, `consent_id`, `items` or `bundle`); without `items`
/// and `bundle`, the report covers every catalog item about the subject's kind. `Accept` picks the
/// representation: `text/html` (the default: one self-contained file), `application/pdf` (the same
/// page printed by headless Chromium, `PDFRenderer`) or `application/json` (the report's document,
/// which `credit-broker report render` renders offline); anything else is 406. `Accept-Language:
/// en` gives English, Chinese otherwise. The `Broker-Receipt` covers the exact bytes sent, so a
/// saved report file verifies with `credit-broker receipts verify`. A renderer that hangs or fails
/// is a 503 `report-renderer-unavailable`, with `Retry-After`.
struct ReportRoutes {
    let service: ReportService

    /// The kinds of partner reports are made for.
    static let kinds: Set<PartnerKind> = [.bank, .creditAgency]

    func register(on routes: DisclosingRoutes) {
        routes.post("reports") { request, context in
            try await answer(request, context: context)
        }
    }

    private func answer(_ request: Request, context: GatewayRequestContext) async throws -> DisclosedAnswer {
        let partner = try context.requirePartner()
        guard Self.kinds.contains(partner.contract.kind) else { throw Problem.reportNotPermitted }
        guard let format = ReportFormat.negotiate(accept: request.headers[.accept]) else { throw Problem.reportNotAcceptable }
        let language = ReportLanguage.negotiate(acceptLanguage: request.headers[.acceptLanguage])
        let snapshot = try context.requireSnapshot()
        let json = try await request.wholeBody(upTo: 64 * 1024)
        let now = context.instant
        let queries = service.queries
        let query = try QueryRequest(
            json: json.readableBytesView, engine: snapshot.engine, catalog: queries.catalog, today: CivilDate(now), allItemsByDefault: true
        )
        let subjectKey = queries.subjectKey(query.subject)
        let (decision, records) = try await queries.decide(
            query, partner: partner, engine: snapshot.engine, subjectKey: subjectKey, at: now, note: context.meter
        )
        let (disclosedIDs, withheld) = queries.partition(decision, of: query.selection.itemIDs)
        let disclosure = Disclosure(
            subjectKey: subjectKey, purpose: query.selection.purposeID, disclosed: disclosedIDs, withheld: withheld.map(\.meterEntry),
            consentID: query.consentID, contractVersion: decision.contractVersion
        )
        // Noted before the report is made, so that a report the renderer fails is metered with it too.
        context.meter.note(disclosure)
        let document = try await service.document(
            query, subjectKey: subjectKey, partner: partner, snapshot: snapshot, decision: decision, records: records,
            disclosedIDs: disclosedIDs, withheld: withheld, requestID: context.id, now: now
        )
        let body: [UInt8]
        switch format {
        case .json:
            body = [UInt8](try document.json())
        case .html:
            body = Array(service.page.html(document, language: language).utf8)
        case .pdf:
            do {
                body = try await service.renderer.render(html: service.page.html(document, language: language))
            } catch {
                throw Problem.reportRendererUnavailable
            }
        }
        var headers: HTTPFields = [
            .contentType: format.contentType,
            .contentDisposition: #"inline; filename="credit-report-\#(context.id).\#(format.fileExtension)""#,
            .cacheControl: "no-store",
            .vary: "Accept, Accept-Language",
        ]
        if format != .json { headers[.contentLanguage] = language.tag }
        if format == .html {
            // The same policy the file carries in its own <meta>: it may fetch nothing.
            headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'"
        }
        return DisclosedAnswer(body, disclosure: disclosure, headers: headers)
    }
}
