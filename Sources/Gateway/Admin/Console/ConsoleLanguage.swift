import Foundation
import Reports

/// The console's two languages: Chinese by default, English when the browser prefers it
/// (`Accept-Language`) or the officer chose it with the switch (`?lang=en`, remembered in a cookie).
enum ConsoleLanguage: String, Sendable, CaseIterable {
    case zh
    case en

    /// The cookie that remembers the switch (no other cookie is set; the certificate authenticates).
    static let cookie = "console_lang"

    /// `lang` of the query, else the cookie, else the first of `Accept-Language` that is Chinese or
    /// English (by its q-value), else Chinese.
    static func negotiate(query: String?, cookie: String?, acceptLanguage: String?) -> ConsoleLanguage {
        if let query, let language = ConsoleLanguage(rawValue: query) { return language }
        if let cookie, let language = ConsoleLanguage(rawValue: cookie) { return language }
        // Accept-Language is read as a report reads it: the same two languages, one parser.
        return ConsoleLanguage(rawValue: ReportLanguage.negotiate(acceptLanguage: acceptLanguage).rawValue) ?? .zh
    }

    /// The page's `lang` attribute.
    var htmlTag: String { self == .zh ? "zh-CN" : "en" }

    /// The other language, for the switch.
    var other: ConsoleLanguage { self == .zh ? .en : .zh }

    /// The switch's label, in the language it switches to.
    var name: String { self == .zh ? "中文" : "English" }
}
