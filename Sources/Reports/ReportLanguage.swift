/// The report's two languages: Chinese by default, English when `Accept-Language` prefers it.
public enum ReportLanguage: String, Sendable, CaseIterable, Codable {
    case zh
    case en

    /// The first of `Accept-Language` (RFC 9110 §12.5.4) that is Chinese or English, by its q-value
    /// (the earlier of equal ones); Chinese when the header is absent or names neither.
    public static func negotiate(acceptLanguage: String?) -> ReportLanguage {
        guard let acceptLanguage else { return .zh }
        var best: (language: ReportLanguage, q: Double)?
        for range in acceptLanguage.split(separator: ",") {
            let parameters = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parameters.first?.lowercased(), let primary = tag.split(separator: "-").first,
                  let language = ReportLanguage(rawValue: String(primary))
            else { continue }
            let q = parameters.dropFirst().first { $0.lowercased().hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if q > 0, q > best?.q ?? 0 { best = (language, q) }
        }
        return best?.language ?? .zh
    }

    /// The `lang` attribute and `Content-Language` of a report in this language.
    public var tag: String { self == .zh ? "zh-CN" : "en" }
}

/// A text in both languages.
public struct Bilingual: Sendable, Hashable {
    public let zh: String
    public let en: String

    public init(_ zh: String, _ en: String) {
        self.zh = zh
        self.en = en
    }

    /// A catalog or purpose title, `中文 / English`, split at its first ` / ` (both halves the same
    /// text when it has none).
    public init(title: String) {
        if let range = title.range(of: " / ") {
            self.init(String(title[..<range.lowerBound]), String(title[range.upperBound...]))
        } else {
            self.init(title, title)
        }
    }

    public func callAsFunction(_ language: ReportLanguage) -> String { language == .zh ? zh : en }
}
