import Foundation

/// A reason code with its text in Chinese and English.
///
/// Texts may contain the placeholders `{feature}` (the feature name) and `{value}` (the
/// subject's value of it, or 缺失 / missing).
public struct ReasonCode: Sendable, Hashable {
    /// Stable id reported to partners, for example `R03` or `D01`.
    public var code: String
    public var chinese: String
    public var english: String

    public init(code: String, chinese: String, english: String) {
        self.code = code
        self.chinese = chinese
        self.english = english
    }

    /// The placeholders a text may use.
    public static let placeholders: Set<String> = ["feature", "value"]

    /// The placeholders in `text` that are not in `placeholders`.
    static func unknownPlaceholders(in text: String) -> [String] {
        var unknown: [String] = []
        var rest = text[...]
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let name = String(rest[rest.index(after: open)..<close])
            if !placeholders.contains(name) { unknown.append(name) }
            rest = rest[rest.index(after: close)...]
        }
        return unknown
    }

    /// `template` with `{feature}` and `{value}` filled in.
    static func render(_ template: String, feature: String, value: String) -> String {
        template.replacingOccurrences(of: "{feature}", with: feature)
            .replacingOccurrences(of: "{value}", with: value)
    }
}
