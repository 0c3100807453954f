import Billing
import BrokerCore
import Foundation
import Hummingbird

/// A partner's own billing, never another's:
///
/// - `GET /v1/statements`: its closed monthly statements, oldest first (month, total, events, SHA-256).
/// - `GET /v1/statements/{month}?format=json|csv`: one statement: the JSON exactly as closed (its
///   SHA-256 in `ETag`, the next statement cites it), or as CSV; 404 while the month is open.
/// - `GET /v1/usage/export?from=DAY&to=DAY&format=csv|ndjson`: its meter events of the days, one a
///   line, streamed, with `Repr-Digest` (SHA-256); `GET /v1/usage/export/manifest` with the same
///   parameters answers the export's manifest (count, sums, bytes, SHA-256) to check a download by.
struct BillingRoutes {
    let billing: BillingStore
    let export: UsageExport

    private struct StatementList: Encodable {
        let partner: String
        let statements: [BillingStore.Summary]
    }

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.get("statements") { _, context -> Response in
            let partner = try context.requirePartner()
            let list = try await billing.statements(partner: partner.partnerID, month: nil)
            return try JSONResponse.response(StatementList(partner: partner.partnerID, statements: list))
        }
        group.get("statements/{month}") { request, context -> Response in
            let partner = try context.requirePartner()
            guard let month = CivilMonth(try context.parameters.require("month")) else { throw Problem.invalidMonth("month") }
            let format = try Self.statementFormat(request)
            guard let stored = try await billing.statement(partner: partner.partnerID, month: month) else { throw Problem.statementNotFound() }
            return try Self.statement(stored, format: format)
        }
        group.get("usage/export") { request, context -> Response in
            let partner = try context.requirePartner()
            let (from, to) = try ExportResponse.period(request)
            return try await ExportResponse.make(export, partner: partner.partnerID, from: from, to: to, format: try ExportResponse.format(request)).response
        }
        group.get("usage/export/manifest") { request, context -> Response in
            let partner = try context.requirePartner()
            let (from, to) = try ExportResponse.period(request)
            let manifest = try await ExportResponse.manifest(export, partner: partner.partnerID, from: from, to: to, format: try ExportResponse.format(request))
            return ExportResponse.response(manifest)
        }
    }

    /// The query's `format` for a statement (`json` by default), or 400.
    static func statementFormat(_ request: Request) throws(Problem) -> String {
        let format = request.uri.queryParameters.get("format").map { String($0) } ?? "json"
        guard format == "json" || format == "csv" else { throw .invalidRequest("format", "format must be json or csv.") }
        return format
    }

    /// A stored statement as JSON (its stored bytes) or CSV, its SHA-256 as the `ETag`.
    static func statement(_ stored: (document: Data, sha256: String), format: String) throws -> Response {
        var headers: HTTPFields = [.eTag: "\"\(stored.sha256)\"", .cacheControl: "no-store"]
        guard format == "csv" else {
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: stored.document)))
        }
        let statement = try Statement(document: stored.document)
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = #"attachment; filename="statement-\#(statement.partner)-\#(statement.month).csv""#
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: statement.csv)))
    }
}
