import BrokerCore
import Foundation
import Hummingbird
import Synchronization

/// What a console route leaves for `ConsoleMiddleware` when it refuses: the roles its action is
/// for (the error page names them in the page's language) and, for a form, the form again with
/// its errors on the fields. Shared by reference, one per request.
final class ConsoleRefusal: Sendable {
    private let state = Mutex<(roles: [AdminRole]?, page: String?)>((nil, nil))

    var roles: [AdminRole]? {
        get { state.withLock { $0.roles } }
        set { state.withLock { $0.roles = newValue } }
    }

    var page: String? {
        get { state.withLock { $0.page } }
        set { state.withLock { $0.page = newValue } }
    }
}

/// The console's side of the admin listener, outside the audit chain's middleware: serves the
/// style sheet and script (not audited: they are the same for everyone and would flood the chain),
/// answers a refusal (recorded by then) as an HTML page in the officer's
/// language, and puts the security headers on every console answer. Every page and form goes on
/// to the audit middleware like an API request.
struct ConsoleMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext

    let csrf: ConsoleCSRF
    let clock: @Sendable () -> Date

    /// The query parameters the console's pages take (`AdminInputMiddleware` checks them, empty allowed).
    static let parameters: Set<Substring> = [
        "lang", "partner", "status", "days", "actor", "action", "from", "to", "before", "table", "done",
    ]

    static func owns(_ path: String) -> Bool { path == "/console" || path.hasPrefix("/console/") }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.owns(request.uri.path) else { return try await next(request, context) }
        var response: Response
        if request.uri.path.hasPrefix("/console/static/") {
            response = try asset(request)
        } else {
            do {
                response = try await next(request, context)
            } catch {
                response = errorPage(Problem(error, logger: context.logger), request: request, context: context)
            }
        }
        for (name, value) in ConsoleRenderer.securityHeaders { response.headers[name] = value }
        if let admin = context.admin {
            let session = ConsoleSession(request: request, admin: admin, csrf: csrf, now: clock())
            if let chosen = session.chosenLanguage {
                response.headers[.setCookie] = Cookie(
                    name: ConsoleLanguage.cookie, value: chosen.rawValue, maxAge: 365 * 86_400, path: "/console", secure: true,
                    httpOnly: true, sameSite: .strict
                ).description
            }
        }
        return response
    }

    private func asset(_ request: Request) throws -> Response {
        let name = String(request.uri.path.dropFirst("/console/static/".count))
        guard request.method == .get || request.method == .head, let asset = ConsoleRenderer.assets[name] else {
            throw Problem("not-found", title: "Not Found", status: .notFound, detail: "No such console file.")
        }
        return Response(
            status: .ok, headers: [.contentType: asset.type, .cacheControl: "private, max-age=300"],
            body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes))
        )
    }

    /// The refusal as a page: the form again with its errors when the route left one, else the
    /// problem's status, title and detail, and who may do what was refused.
    private func errorPage(_ problem: Problem, request: Request, context: Context) -> Response {
        var response: Response
        if let page = context.consoleRefusal.page {
            response = ConsoleRenderer.html(page, status: problem.status)
        } else if let admin = context.admin {
            let session = ConsoleSession(request: request, admin: admin, csrf: csrf, now: clock())
            var values = session.layout(title: session.word("error"), current: nil)
            values["status"] = Int(problem.status.code)
            values["problemTitle"] = problem.title
            values["detail"] = problem.detail
            if problem.slug == "role-not-allowed", let roles = context.consoleRefusal.roles {
                values["whoCan"] = roles.map(session.roleName).joined(separator: session.language == .zh ? "、" : ", ")
            }
            response = ConsoleRenderer.html(ConsoleRenderer.render("error", values), status: problem.status)
        } else {
            response = ConsoleRenderer.html("<!DOCTYPE html><title>\(problem.status.code)</title><p>\(ConsoleHTML.escape(problem.detail))</p>", status: problem.status)
        }
        for field in problem.headers { response.headers.append(field) }
        return response
    }
}
