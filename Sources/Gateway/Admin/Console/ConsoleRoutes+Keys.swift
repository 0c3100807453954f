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
            let partner = try changes.agency(context)
            let list = try await reads.keys.keys(of: partner)
            context.audit.note(partner: partner, "listed \(list.count) keys")
            return ConsoleRenderer.html(keysPage(session, partner: partner, keys: list.map { KeyView($0) }, issued: nil))
        }
        group.post("partners/{partner}/keys") { request, context -> Response in
            let admin = try require(context, .issueKey)
            let session = makeSession(request, admin)
            let partner = try changes.agency(context)
            let form = try await readForm(IssueForm.self, request, session)
            let expiry = try AdminChanges.expiry(form.expires.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 })
            let list = try await reads.keys.keys(of: partner)
            let (record, token) = try await changes.issueKey(for: partner, lastDay: expiry, context)
            let page = keysPage(session, partner: partner, keys: list.map { KeyView($0) } + [KeyView(record)], issued: KeyView(record, token: token))
            return ConsoleRenderer.html(page, status: .created)
        }
        group.post("keys/{keyID}/revoke") { request, context -> Response in
            let admin = try require(context, .revokeKey)
            let session = makeSession(request, admin)
            let keyID = try AdminChanges.keyID(context)
            _ = try await readForm(IssueForm.self, request, session)
            let record = try await changes.revokeKey(keyID, context)
            return Self.redirect("/console/partners/\(record.partnerID)/keys?done=revoked")
        }
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
