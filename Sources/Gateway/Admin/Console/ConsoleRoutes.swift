import BrokerCore
import BrokerStore
import Foundation
import HTTPTypes
import Hummingbird
import Metering
import MultipartKit
import PKI
import X509

/// The admin console under `/console` on the admin listener: server-rendered pages for the three
/// roles, behind the same client certificate, role table (`AdminEndpoint`) and audit chain as the
/// API. Each page reads what the API's endpoint of the same data answers (`AdminReads`, the
/// API's views and store functions) and is refused, with the roles that may, to any other role;
/// each form posts the step the API's endpoint takes, with a token bound to the officer's
/// certificate and the form (`ConsoleCSRF`). A page view is one audit row, like an API read.
struct ConsoleRoutes: Sendable {
    let services: AdminServer.Services
    let reads: AdminReads
    let changes: AdminChanges
    let csrf = ConsoleCSRF()

    init(services: AdminServer.Services) {
        self.services = services
        reads = AdminReads(services: services)
        changes = AdminChanges(services: services)
    }

    var middleware: ConsoleMiddleware { ConsoleMiddleware(csrf: csrf, clock: { Date() }) }

    var contracts: LiveContracts { services.contracts }

    /// The page each role lands on.
    static func home(of role: AdminRole?) -> String {
        switch role {
        case .security: "/console/proposals"
        case .audit: "/console/audit"
        case .system, nil: "/console/partners"
        }
    }

    func register(on group: RouterGroup<AdminRequestContext>) {
        group.get { _, context -> Response in
            context.audit.note(partner: nil, "console home")
            return Self.redirect(Self.home(of: context.admin?.role))
        }
        registerPartners(on: group)
        registerProposals(on: group)
        registerKeys(on: group)
        registerAuditAndUsage(on: group)
    }

    // MARK: Common parts

    /// The officer, if its role may use every one of `endpoints`; otherwise 403 naming who may
    /// (the refusal page names them in the page's language).
    @discardableResult
    func require(_ context: AdminRequestContext, _ endpoints: AdminEndpoint...) throws -> AdminActor {
        var admin: AdminActor?
        for endpoint in endpoints {
            context.consoleRefusal.roles = endpoint.roles
            admin = try context.require(endpoint.roles)
        }
        guard let admin else { throw Problem.unauthenticated("The console requires an admin client certificate.") }
        return admin
    }

    func makeSession(_ request: Request, _ admin: AdminActor) -> ConsoleSession {
        ConsoleSession(request: request, admin: admin, csrf: csrf, now: Date())
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// The fields of a posted form (URL-encoded), once its origin and token are checked.
    func readForm<Form: Decodable>(_ type: Form.Type, _ request: Request, _ session: ConsoleSession) async throws -> Form {
        try Self.sameOrigin(request)
        let bytes = try await request.body.collect(upTo: 64 * 1024)
        let text = String(decoding: bytes.readableBytesView, as: UTF8.self)
        let token = try? URLEncodedFormDecoder().decode(FormToken.self, from: text)
        try checkToken(token?.csrf, request, session)
        do {
            return try URLEncodedFormDecoder().decode(Form.self, from: text)
        } catch {
            throw Problem.invalidRequest("body", "The form could not be read; load the page again and resend it.")
        }
    }

    /// The token field every form has.
    private struct FormToken: Decodable { let csrf: String? }

    func checkToken(_ token: String?, _ request: Request, _ session: ConsoleSession) throws {
        guard csrf.isValid(token, fingerprint: session.admin.fingerprint, action: request.uri.path, now: session.now) else {
            throw Problem(
                "csrf-token-invalid", title: "Form token invalid", status: .forbidden,
                detail: "The form's token is missing, expired, or was not issued to this certificate for this form (or by this server process); load the page again and resend."
            )
        }
    }

    /// A post whose browser says it comes from another site is refused before its token is read.
    static func sameOrigin(_ request: Request) throws {
        let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!]
        let origin = request.headers[.origin]
        let host = request.head.authority
        let crossSite = (site != nil && site != "same-origin" && site != "none")
            || (origin != nil && host != nil && origin != "https://\(host!)")
        if crossSite {
            throw Problem("cross-site-post", title: "Cross-site post", status: .forbidden, detail: "A console form is accepted only from the console's own pages.")
        }
    }

    /// The query parameter `name`, `nil` when absent or empty (the console's forms send every field).
    static func query(_ request: Request, _ name: String) -> String? {
        guard let value = request.uri.queryParameters.get(name), !value.isEmpty else { return nil }
        return String(value)
    }

    static func day(_ request: Request, _ name: String) throws -> CivilDate? {
        guard let text = query(request, name) else { return nil }
        guard let day = CivilDate(text) else { throw Problem.invalidRequest(name, "\(name) must be a date as YYYY-MM-DD.") }
        return day
    }

    /// The notice a redirect after a change asked for (`?done=approved`), in the page's language.
    static func notice(_ request: Request, _ session: ConsoleSession) -> String? {
        guard let done = query(request, "done"), ConsoleStrings.table["done." + done] != nil else { return nil }
        return session.word("done." + done)
    }

    // MARK: Views shared by pages

    static func quota(_ used: Int?, _ limit: Int?, _ session: ConsoleSession) -> String {
        "\(used ?? 0) / \(limit.map(String.init) ?? session.word("unlimited"))"
    }

    static func partnerValues(_ partner: AdminPartnerView, _ session: ConsoleSession) -> [String: Any] {
        let certificates = partner.authentication.certificates.count
        let keys = partner.authentication.apiKeyIDs
        var credentials: [String] = []
        if certificates > 0 { credentials.append("\(certificates) \(session.word("certificates"))") }
        if !keys.isEmpty { credentials.append("\(session.word("apiKeys")): \(keys.joined(separator: ", "))") }
        return [
            "id": partner.id, "legalName": partner.legalName, "kind": session.word("kind." + partner.kind),
            "status": session.word("status." + partner.status), "statusClass": partner.status,
            "version": partner.contractVersion, "digest": String(partner.contractDigest.prefix(12)),
            "term": "\(partner.term.from) – \(partner.term.to)",
            "credentials": credentials.isEmpty ? session.word("none") : credentials.joined(separator: "; "),
            "today": quota(partner.quotaUse.perDay, partner.quotas.perDay, session),
            "month": quota(partner.quotaUse.perMonth, partner.quotas.perMonth, session),
            "rate": "\(partner.rateLimit.perSecond) \(session.word("perSecond")), \(session.word("burst")) \(partner.rateLimit.burst)",
        ]
    }

    /// The subject's common name, for tables (`CN=Security Administrator,OU=…` → `Security Administrator`).
    static func commonName(_ subject: String?) -> String {
        subject.map(DistinguishedName.commonName(ofText:)) ?? ""
    }
}

// MARK: Partners

extension ConsoleRoutes {
    private struct ReasonForm: Decodable { let reason: String? }

    func registerPartners(on group: RouterGroup<AdminRequestContext>) {
        group.get("partners") { request, context -> Response in
            let admin = try require(context, .listPartners)
            let session = makeSession(request, admin)
            let list = try await reads.partners()
            context.audit.note(partner: nil, "listed \(list.partners.count) partners")
            var values = session.layout(title: session.word("partners"), current: "partners")
            values["notice"] = Self.notice(request, session)
            values["count"] = list.partners.count
            values["canPropose"] = session.may(.propose)
            values["partners"] = list.partners.map { Self.partnerValues($0, session) }
            return ConsoleRenderer.html(ConsoleRenderer.render("partners", values))
        }
        group.get("partners/{partner}") { request, context -> Response in
            let admin = try require(context, .listPartners, .history)
            let session = makeSession(request, admin)
            let id = try context.parameters.require("partner")
            guard let partner = try await reads.partners().partners.first(where: { $0.id == id }) else { throw Problem.unknownPartner() }
            let history = try await reads.history(of: id, inForceAt: nil)
            context.audit.note(partner: id, "read partner; history: \(history.versions.count) versions")
            var values = session.layout(title: "\(partner.id) · \(partner.legalName)", current: "partners")
            values["notice"] = Self.notice(request, session)
            values["partner"] = Self.partnerValues(partner, session)
            if session.may(.usage) { values["usageHref"] = "/console/usage?partner=\(id)" }
            if session.may(.listKeys), partner.kind == PartnerKind.creditAgency.rawValue { values["keysHref"] = "/console/partners/\(id)/keys" }
            if session.may(.propose) { values["proposeHref"] = "/console/proposals/new" }
            var actions: [[String: Any]] = []
            func action(_ name: String, _ endpoint: AdminEndpoint, help: String?, danger: Bool) {
                let path = "/console/partners/\(id)/\(name)"
                var values: [String: Any] = [
                    "name": name, "label": session.word(name), "action": path, "allowed": session.may(endpoint),
                    "csrf": session.may(endpoint) ? session.token(path) : "", "whoCan": session.whoCan(endpoint),
                    "buttonClass": danger ? "danger" : "primary",
                ]
                values["help"] = help
                actions.append(values)
            }
            if partner.status == PartnerStatus.active.rawValue { action("suspend", .suspend, help: session.word("suspendHelp"), danger: true) }
            if partner.status == PartnerStatus.suspended.rawValue { action("reinstate", .reinstate, help: nil, danger: false) }
            values["actions"] = actions
            values["versions"] = history.versions.reversed().map { version -> [String: Any] in
                [
                    "version": version.contractVersion, "term": "\(version.term.from) – \(version.term.to)",
                    "effectiveFrom": ConsoleFormat.chinaTime(version.effectiveFrom), "proposer": Self.commonName(version.proposer),
                    "approver": Self.commonName(version.approver), "source": version.source,
                ]
            }
            values["hasStatuses"] = !history.statuses.isEmpty
            values["statuses"] = history.statuses.reversed().map { status -> [String: Any] in
                ["at": ConsoleFormat.chinaTime(status.at), "status": session.word("status." + status.status), "reason": status.reason, "by": Self.commonName(status.by)]
            }
            return ConsoleRenderer.html(ConsoleRenderer.render("partner", values))
        }
        for (name, endpoint, status) in [("suspend", AdminEndpoint.suspend, PartnerStatus.suspended), ("reinstate", .reinstate, .active)] {
            group.post(RouterPath("partners/{partner}/\(name)")) { request, context -> Response in
                let admin = try require(context, endpoint)
                let session = makeSession(request, admin)
                let partner = try context.parameters.require("partner")
                let form = try await readForm(ReasonForm.self, request, session)
                let reason = try AdminChanges.reason(form.reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "", required: true)
                try await changes.setStatus(of: partner, to: status, reason: reason, by: admin, context)
                return Self.redirect("/console/partners/\(partner)?done=\(status == .suspended ? "suspended" : "reinstated")")
            }
        }
    }
}

// MARK: Proposals

extension ConsoleRoutes {
    private struct ProposeForm: Decodable {
        let csrf: String?
        let document: String?
        let file: Data?
        let effectiveFrom: String?
        let reason: String?

        enum CodingKeys: String, CodingKey { case csrf, document, file, effectiveFrom = "effective_from", reason }
    }

    private struct DecisionForm: Decodable { let reason: String? }

    func registerProposals(on group: RouterGroup<AdminRequestContext>) {
        group.get("proposals") { request, context -> Response in
            let admin = try require(context, .listProposals)
            let session = makeSession(request, admin)
            let statusText = Self.query(request, "status")
            let status = try statusText.map { text -> ContractProposal.Status in
                guard let status = ContractProposal.Status(rawValue: text) else {
                    throw Problem.invalidRequest("status", "status is one of \(ContractProposal.Status.allCases.map(\.rawValue).joined(separator: ", ")).")
                }
                return status
            }
            let partner = Self.query(request, "partner")
            let found = try await ContractLifecycle.proposals(status: status, partner: partner, limit: 100, on: context.requireTransaction())
            let governing = contracts.snapshot().contracts
            context.audit.note(partner: partner, "listed \(found.count) proposals")
            var values = session.layout(title: session.word("proposals"), current: "proposals")
            values["canPropose"] = session.may(.propose)
            values["partner"] = partner ?? ""
            let any: [String: Any] = ["value": "", "label": session.word("any"), "selected": status == nil]
            values["statuses"] = [any] + ContractProposal.Status.allCases.map { choice -> [String: Any] in
                ["value": choice.rawValue, "label": session.word("pstatus." + choice.rawValue), "selected": choice == status]
            }
            values["hasProposals"] = !found.isEmpty
            values["count"] = found.count
            values["proposals"] = found.map { ProposalView($0, governing: governing[$0.partnerID], full: false) }.map { view -> [String: Any] in
                [
                    "id": view.id, "partner": view.partner, "kind": session.word("pkind." + view.kind),
                    "status": session.word("pstatus." + view.status), "statusClass": view.status,
                    "version": view.contractVersion ?? "", "proposedAt": ConsoleFormat.chinaTime(view.proposedAt),
                    "proposer": Self.commonName(view.proposer.subject), "changeCount": view.changes.map { String($0.count) } ?? "–",
                ]
            }
            return ConsoleRenderer.html(ConsoleRenderer.render("proposals", values))
        }
        group.get("proposals/new") { request, context -> Response in
            let admin = try require(context, .propose)
            let session = makeSession(request, admin)
            context.audit.note(partner: nil, "proposal form")
            return ConsoleRenderer.html(proposeForm(session, document: "", effectiveFrom: "", reason: "", problem: nil))
        }
        group.post("proposals") { request, context -> Response in
            let admin = try require(context, .propose)
            let session = makeSession(request, admin)
            try Self.sameOrigin(request)
            let form = try await proposeForm(request)
            try checkToken(form.csrf, request, session)
            let upload = form.file.flatMap { $0.isEmpty ? nil : $0 }
            let text: String
            if let upload {
                guard let decoded = String(validating: upload, as: UTF8.self) else {
                    throw refused(Problem.invalidRequest("document", "The uploaded document is not UTF-8 text."), form, session, context)
                }
                text = decoded
            } else {
                text = form.document ?? ""
            }
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw refused(Problem.invalidRequest("document", "The document is required: paste it or upload its file."), form, session, context)
            }
            let effective = form.effectiveFrom?.trimmingCharacters(in: .whitespaces) ?? ""
            var instant: Date?
            if !effective.isEmpty {
                guard let parsed = Instant.parse(effective) else {
                    throw refused(Problem.invalidRequest(
                        "effective_from", "effective_from must be an RFC 3339 instant (2027-01-01T00:00:00+08:00) or a day (YYYY-MM-DD, China time)."
                    ), form, session, context, document: text)
                }
                instant = parsed
            }
            let proposal: ContractProposal
            do {
                let reason = try AdminChanges.reason(form.reason ?? "", required: false)
                proposal = try await changes.propose(document: text, effectiveFrom: instant, reason: reason, by: admin, context)
            } catch let problem as Problem {
                throw refused(problem, form, session, context, document: text)
            }
            return Self.redirect("/console/proposals/\(proposal.id)?done=proposed")
        }
        group.get("proposals/{id}") { request, context -> Response in
            let admin = try require(context, .showProposal)
            let session = makeSession(request, admin)
            let proposal = try await AdminChanges.proposal(context)
            let id = proposal.id
            let view = ProposalView(proposal, governing: contracts.snapshot().contracts[proposal.partnerID], full: true)
            var note = "read proposal \(id)"
            var values = session.layout(title: "\(session.word("proposal")) #\(id) · \(proposal.partnerID)", current: "proposals")
            values["notice"] = Self.notice(request, session)
            // Absent values are left out: Mustache would print an optional's `nil`.
            var shown: [String: Any] = [
                "partner": view.partner, "kind": session.word("pkind." + view.kind), "status": session.word("pstatus." + view.status),
                "statusClass": view.status, "version": view.contractVersion ?? "", "term": view.term.map { "\($0.from) – \($0.to)" } ?? "",
                "effectiveFrom": view.effectiveFrom.map { ConsoleFormat.chinaTime($0) } ?? session.word("onApproval"), "reason": view.reason,
                "proposer": view.proposer.subject, "proposedAt": ConsoleFormat.chinaTime(view.proposedAt),
                "decidedAt": ConsoleFormat.chinaTime(view.decidedAt),
            ]
            shown["decider"] = view.decider?.subject
            shown["decisionReason"] = view.decisionReason.flatMap { $0.isEmpty ? nil : $0 }
            shown["document"] = view.document
            values["proposal"] = shown
            values["hasChanges"] = !(view.changes ?? []).isEmpty
            values["changes"] = (view.changes ?? []).map { change -> [String: Any] in
                ["effect": session.word("effect." + change.effect), "effectClass": change.effect, "what": change.what, "old": change.old ?? "–", "new": change.new ?? "–"]
            }
            if session.may(.whatIf), let contract = proposal.contract {
                let days = try request.integer("days", in: 1...UsageQuery.maximumDays) ?? 30
                let whatIf = try await reads.whatIf(proposal, contract: contract, days: days)
                note += "; what-if over \(days) days: \(whatIf.decisions) decisions"
                values["whatIf"] = [
                    "proposalID": id, "days": days, "decisions": whatIf.decisions, "hasItems": !whatIf.items.isEmpty,
                    "items": whatIf.items.map { item -> [String: Any] in
                        [
                            "item": item.item, "decisions": item.decisions, "toWithheld": item.disclosedToWithheld, "toDisclosed": item.withheldToDisclosed,
                            "reasons": item.newReasons.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "),
                        ]
                    },
                ] as [String: Any]
            } else if !session.may(.whatIf) {
                values["whatIfRefused"] = session.word("onlyRoles") + session.whoCan(.whatIf)
            }
            let open = proposal.status == .proposed
            values["decision"] = [
                "open": open, "allowed": session.may(.approve), "whoCan": session.whoCan(.approve),
                "status": session.word("pstatus." + view.status),
                "approveAction": "/console/proposals/\(id)/approve", "rejectAction": "/console/proposals/\(id)/reject",
                "approveCSRF": open && session.may(.approve) ? session.token("/console/proposals/\(id)/approve") : "",
                "rejectCSRF": open && session.may(.reject) ? session.token("/console/proposals/\(id)/reject") : "",
            ] as [String: Any]
            context.audit.note(partner: proposal.partnerID, note)
            return ConsoleRenderer.html(ConsoleRenderer.render("proposal", values))
        }
        group.post("proposals/{id}/approve") { request, context -> Response in
            let admin = try require(context, .approve)
            let session = makeSession(request, admin)
            let id = try AdminChanges.proposalID(context)
            let reason = try AdminChanges.reason(try await readForm(DecisionForm.self, request, session).reason ?? "", required: false)
            _ = try await changes.approve(id, reason: reason, by: admin, context)
            return Self.redirect("/console/proposals/\(id)?done=approved")
        }
        group.post("proposals/{id}/reject") { request, context -> Response in
            let admin = try require(context, .reject)
            let session = makeSession(request, admin)
            let id = try AdminChanges.proposalID(context)
            let reason = try AdminChanges.reason(
                try await readForm(DecisionForm.self, request, session).reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "", required: true
            )
            _ = try await changes.reject(id, reason: reason, by: admin, context)
            return Self.redirect("/console/proposals/\(id)?done=rejected")
        }
    }

    /// The multipart form of `POST /console/proposals` (the document as text or as a file).
    private func proposeForm(_ request: Request) async throws -> ProposeForm {
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("multipart/form-data"),
              let boundary = Self.boundary(type) else {
            throw Problem.invalidRequest("body", "The proposal form is sent as multipart/form-data.")
        }
        let bytes = try await request.body.collect(upTo: 512 * 1024)
        do {
            return try FormDataDecoder().decode(ProposeForm.self, from: bytes, boundary: boundary)
        } catch {
            throw Problem.invalidRequest("body", "The proposal form could not be read; load the page again and resend it.")
        }
    }

    /// The `boundary` parameter of a multipart content type.
    static func boundary(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.trimmingCharacters(in: .whitespaces)
            guard pair.lowercased().hasPrefix("boundary=") else { continue }
            let value = pair.dropFirst("boundary=".count)
            let unquoted = value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 ? value.dropFirst().dropLast() : value
            return unquoted.isEmpty || unquoted.count > 70 ? nil : String(unquoted)
        }
        return nil
    }

    /// The refusal of a proposal, leaving the form again for the error page: what was sent, each
    /// problem under its field (the document's problems by line).
    private func refused(
        _ problem: Problem, _ form: ProposeForm, _ session: ConsoleSession, _ context: AdminRequestContext, document: String? = nil
    ) -> Problem {
        context.consoleRefusal.page = proposeForm(
            session, document: document ?? form.document ?? "", effectiveFrom: form.effectiveFrom ?? "", reason: form.reason ?? "", problem: problem
        )
        return problem
    }

    private func proposeForm(_ session: ConsoleSession, document: String, effectiveFrom: String, reason: String, problem: Problem?) -> String {
        var values = session.layout(title: session.word("propose"), current: "propose")
        values["csrf"] = session.token("/console/proposals")
        values["document"] = document
        values["effectiveFrom"] = effectiveFrom
        values["reason"] = reason
        if let problem {
            let field = problem.field ?? "document"
            let messages = [problem.detail] + (problem.errors ?? [])
            // The document's own fields (partner, kind, version, authentication) are shown on the document.
            let target = ["effective_from", "reason"].contains(field) ? field : "document"
            values["hasErrors"] = true
            values["summary"] = problem.detail
            let key = ["document": "documentErrors", "effective_from": "effectiveErrors", "reason": "reasonErrors"][target]!
            values[key] = ["list": messages]
        }
        return ConsoleRenderer.render("propose", values)
    }
}
