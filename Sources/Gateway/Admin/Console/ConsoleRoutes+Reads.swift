import BrokerCore
import BrokerStore
import Foundation
import Hummingbird

// MARK: The audit trail and usage

extension ConsoleRoutes {
    func registerAuditAndUsage(on group: RouterGroup<AdminRequestContext>) {
        group.get("audit") { request, context -> Response in
            let admin = try require(context, .audit)
            let session = makeSession(request, admin)
            let from = try Self.day(request, "from")
            let to = try Self.day(request, "to")
            let filter = AdminAuditLog.Filter(
                actor: Self.query(request, "actor"), action: Self.query(request, "action"), partner: Self.query(request, "partner"),
                from: from?.start(), until: to?.adding(days: 1).start()
            )
            let before = try request.integer("before", in: 1...Int.max)
            let page = try await reads.auditPage(filter, since: 0, before: before ?? Int.max, limit: 100, verify: true)
            let actors = try await reads.audit.actors()
            let actions = try await reads.audit.actions()
            context.audit.note(partner: nil, "read \(page.records.count) rows before seq \(before.map(String.init) ?? "end")"
                + (filter.isEmpty ? "" : " (filtered)") + (page.chain.map { $0.intact ? "; chain intact" : "; chain broken" } ?? ""))
            var values = session.layout(title: session.word("audit"), current: "audit")
            values["chain"] = page.chain.map { chain -> [String: Any] in
                ["intact": chain.intact, "rows": chain.rows, "breaks": chain.breaks.map { ["seq": $0.seq, "reason": $0.reason] }]
            }
            values["actors"] = actors.map { ["value": $0, "selected": $0 == filter.actor] }
            values["actions"] = actions.map { ["value": $0, "selected": $0 == filter.action] }
            values["partner"] = filter.partner ?? ""
            values["from"] = from?.description ?? ""
            values["to"] = to?.description ?? ""
            values["hasRows"] = !page.records.isEmpty
            values["rows"] = page.records.map { row -> [String: Any] in
                [
                    "seq": row.seq, "time": ConsoleFormat.chinaTime(row.time), "actor": Self.commonName(row.actor.subject),
                    "role": row.via == "cli" ? "cli" : session.roleName(row.role.flatMap(AdminRole.init(rawValue:))),
                    "method": row.method, "path": row.path, "partner": row.partner ?? "", "status": row.status, "detail": row.detail,
                    "rowClass": row.status >= 400 ? "refused" : (row.method == "GET" ? "" : "change"),
                ]
            }
            if page.records.count == 100, let last = page.records.last {
                var pairs = request.uri.queryParameters.filter { $0.key != "before" }.map { (String($0.key), String($0.value)) }
                pairs.append(("before", String(last.seq)))
                values["olderHref"] = "/console/audit?" + ConsoleSession.query(pairs)
            }
            return ConsoleRenderer.html(ConsoleRenderer.render("audit", values))
        }
        group.get("usage") { request, context -> Response in
            let admin = try require(context, .usage)
            let session = makeSession(request, admin)
            let partner = Self.query(request, "partner")
            let (from, to) = try span(request)
            var values = session.layout(title: session.word("usage"), current: "usage")
            values["partners"] = contracts.snapshot().contracts.keys.sorted().map { ["value": $0, "selected": $0 == partner] }
            values["from"] = from.description
            values["to"] = to.description
            if let partner {
                let report = try await reads.usageReport(partner: partner, from: from, to: to)
                context.audit.note(partner: partner, "usage \(report.from)…\(report.to)")
                values["report"] = ["charts": ConsoleUsage(report: report, session: session).tables.map(\.values)]
            } else {
                context.audit.note(partner: nil, "usage form")
            }
            return ConsoleRenderer.html(ConsoleRenderer.render("usage", values))
        }
        group.get("usage.csv") { request, context -> Response in
            let admin = try require(context, .usage)
            let session = makeSession(request, admin)
            guard let partner = Self.query(request, "partner") else {
                throw Problem.invalidRequest("partner", "partner is required: the partner id whose usage to export.")
            }
            let (from, to) = try span(request)
            let report = try await reads.usageReport(partner: partner, from: from, to: to)
            let tables = ConsoleUsage(report: report, session: session).tables
            guard let table = tables.first(where: { $0.id == Self.query(request, "table") }) else {
                throw Problem.invalidRequest("table", "table is one of \(tables.map(\.id).joined(separator: ", ")).")
            }
            context.audit.note(partner: partner, "usage \(report.from)…\(report.to) as CSV: \(table.id)")
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                    .contentDisposition: #"attachment; filename="usage-\#(partner)-\#(table.id)-\#(from)-\#(to).csv""#,
                ],
                body: .init(byteBuffer: ByteBuffer(string: table.csv))
            )
        }
    }

    /// `from` and `to` of a usage page: by default the 30 days up to today (China time).
    private func span(_ request: Request) throws -> (CivilDate, CivilDate) {
        let today = CivilDate(services.contracts.clock.now())
        let to = try Self.day(request, "to") ?? today
        let from = try Self.day(request, "from") ?? to.adding(days: -29)
        return (from, to)
    }
}
