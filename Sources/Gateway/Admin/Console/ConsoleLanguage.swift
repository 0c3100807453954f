import Foundation

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
        guard let acceptLanguage else { return .zh }
        let ranked = acceptLanguage.split(separator: ",").enumerated().compactMap { index, part -> (ConsoleLanguage, Double, Int)? in
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first?.lowercased() else { return nil }
            let primary = tag.split(separator: "-").first.map(String.init) ?? tag
            guard let language = ConsoleLanguage(rawValue: primary) else { return nil }
            let q = pieces.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return q > 0 ? (language, q, index) : nil
        }
        return ranked.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.2 < $1.2 }.first?.0 ?? .zh
    }

    /// The page's `lang` attribute.
    var htmlTag: String { self == .zh ? "zh-CN" : "en" }

    /// The other language, for the switch.
    var other: ConsoleLanguage { self == .zh ? .en : .zh }

    /// The switch's label, in the language it switches to.
    var name: String { self == .zh ? "中文" : "English" }
}
