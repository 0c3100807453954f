import BrokerCore
import Foundation
import Hummingbird

/// One console request: who asks (the admin certificate's role), in which language, and the
/// page's common parts (navigation, language switch, form tokens).
struct ConsoleSession {
    /// A console page and the endpoint whose roles it follows.
    struct Page: Sendable {
        let key: String
        let path: String
        let endpoint: AdminEndpoint
    }

    /// The navigation, each page shown only to the roles of the endpoint it reads or acts with.
    static let pages: [Page] = [
        Page(key: "partners", path: "/console/partners", endpoint: .listPartners),
        Page(key: "proposals", path: "/console/proposals", endpoint: .listProposals),
        Page(key: "propose", path: "/console/proposals/new", endpoint: .propose),
        Page(key: "usage", path: "/console/usage", endpoint: .usage),
        Page(key: "audit", path: "/console/audit", endpoint: .audit),
    ]

    let admin: AdminActor
    let language: ConsoleLanguage
    let words: [String: String]
    let csrf: ConsoleCSRF
    let now: Date
    let request: Request
    /// Set when the query chose a language: the answer remembers it in a cookie.
    let chosenLanguage: ConsoleLanguage?

    init(request: Request, admin: AdminActor, csrf: ConsoleCSRF, now: Date) {
        self.request = request
        self.admin = admin
        self.csrf = csrf
        self.now = now
        let query = request.uri.queryParameters.get("lang").map { String($0) }
        chosenLanguage = query.flatMap(ConsoleLanguage.init(rawValue:))
        language = ConsoleLanguage.negotiate(
            query: query, cookie: request.cookies[ConsoleLanguage.cookie]?.value, acceptLanguage: request.headers[.acceptLanguage]
        )
        words = ConsoleStrings.words(language)
    }

    func word(_ key: String) -> String { ConsoleStrings.word(key, language) }

    /// The role's name in the page's language.
    func roleName(_ role: AdminRole?) -> String { word("role." + (role?.rawValue ?? "none")) }

    /// "系统管理员、安全管理员": who may use `endpoint`, for a page that does not offer it.
    func whoCan(_ endpoint: AdminEndpoint) -> String {
        endpoint.roles.map(roleName).joined(separator: language == .zh ? "、" : ", ")
    }

    func may(_ endpoint: AdminEndpoint) -> Bool { admin.role.map(endpoint.roles.contains) ?? false }

    /// A form token for posting to `action` (a path).
    func token(_ action: String) -> String { csrf.token(fingerprint: admin.fingerprint, action: action, now: now) }

    /// The values every page has: language, navigation, who is signed in.
    func layout(title: String, current: String?) -> [String: Any] {
        [
            "lang": language.htmlTag, "t": words, "title": title,
            "adminName": admin.subject, "roleName": roleName(admin.role),
            "otherLang": language.other.htmlTag, "otherName": language.other.name, "switchHref": switchHref,
            "nav": Self.pages.filter { may($0.endpoint) }.map { page -> [String: Any] in
                ["href": page.path, "label": word(page.key), "current": page.key == current]
            },
        ]
    }

    /// This page in the other language: its query with `lang` replaced.
    private var switchHref: String {
        var pairs = request.uri.queryParameters.filter { $0.key != "lang" }.map { (String($0.key), String($0.value)) }
        pairs.append(("lang", language.other.rawValue))
        return request.uri.path + "?" + Self.query(pairs)
    }

    /// `name=value&…`, percent-encoded.
    static func query(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+;#")
        return pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }
}
