import BrokerCore
import BrokerStore
import Foundation
import Hummingbird

// MARK: API keys (the security administrator's)

extension ConsoleRoutes {
    private struct IssueForm: Decodable { let expires: String? }

    func registerKeys(on group: RouterGroup<AdminRequestContext>) {
        group.get("partners/{partner}/keys") { request, context -> Response in
            let admin = try require(context, .listKeys)
            let session = makeSession(request, admin)
            let partner = try agency(context)
            let list = try await reads.keys.keys(of: partner)
            context.audit.note(partner: partner, "listed \(list.count) keys")
            return ConsoleRenderer.html(keysPage(session, partner: partner, keys: list.map { KeyView($0) }, issued: nil))
        }
        group.post("partners/{partner}/keys") { request, context -> Response in
            let admin = try require(context, .issueKey)
            let session = makeSession(request, admin)
            let partner = try agency(context)
            let form = try await readForm(IssueForm.self, request, session)
            var expiry: CivilDate?
            if let text = form.expires?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
                guard let day = CivilDate(text) else { throw Problem.invalidRequest("expires", "expires must be a date as YYYY-MM-DD.") }
                guard day >= CivilDate(Date()) else { throw Problem.invalidRequest("expires", "expires (\(day)) is in the past.") }
                expiry = day
            }
            let list = try await reads.keys.keys(of: partner)
            let (record, token) = try await ApiKeyStore.issue(
                partnerID: partner, expiresAt: expiry?.adding(days: 1).start(), on: context.requireTransaction()
            )
            context.audit.note(partner: partner, "issued \(record.keyID)\(expiry.map { ", last day \($0)" } ?? "")")
            let page = keysPage(session, partner: partner, keys: list.map { KeyView($0) } + [KeyView(record)], issued: KeyView(record, token: token))
            return ConsoleRenderer.html(page, status: .created)
        }
        group.post("keys/{keyID}/revoke") { request, context -> Response in
            let admin = try require(context, .revokeKey)
            let session = makeSession(request, admin)
            let keyID = try context.parameters.require("keyID")
            guard ApiKey.isKeyID(keyID) else { throw Problem.invalidRequest("keyID", "keyID must be ak_ and 16 lowercase hex digits.") }
            _ = try await readForm(IssueForm.self, request, session)
            guard let record = try await ApiKeyStore.revoke(keyID: keyID, on: context.requireTransaction()) else { throw Problem.unknownKey() }
            context.audit.note(partner: record.partnerID, "revoked \(record.keyID)")
            return Self.redirect("/console/partners/\(record.partnerID)/keys?done=revoked")
        }
    }

    /// The path's `{partner}`, which must be a credit agency in force (the partners with API keys).
    private func agency(_ context: AdminRequestContext) throws -> String {
        let partner = try context.parameters.require("partner")
        guard let contract = contracts.snapshot().contracts[partner] else { throw Problem.unknownPartner() }
        guard contract.kind == .creditAgency else { throw Problem.partnerNotAgency(contract.kind.rawValue) }
        return partner
    }

    private func keysPage(_ session: ConsoleSession, partner: String, keys: [KeyView], issued: KeyView?) -> String {
        var values = session.layout(title: "\(session.word("keys")) · \(partner)", current: "partners")
        values["notice"] = Self.notice(session.request, session)
        values["partner"] = partner
        values["hasKeys"] = !keys.isEmpty
        values["keys"] = keys.map { key -> [String: Any] in
            let path = "/console/keys/\(key.keyID)/revoke"
            let revocable = key.revoked == nil && session.may(.revokeKey)
            return [
                "keyID": key.keyID, "created": ConsoleFormat.chinaTime(key.created),
                "expires": key.expires.map(ConsoleFormat.chinaTime) ?? session.word("never"),
                "revoked": key.revoked.map(ConsoleFormat.chinaTime) ?? "–",
                "revokeAction": revocable ? path : "", "csrf": revocable ? session.token(path) : "",
            ]
        }
        values["issueAction"] = "/console/partners/\(partner)/keys"
        values["issueCSRF"] = session.token("/console/partners/\(partner)/keys")
        if let issued, let token = issued.token {
            values["token"] = token
            values["keyID"] = issued.keyID
        }
        return ConsoleRenderer.render("keys", values)
    }
}
