import Foundation

/// A reason code with its texts in Chinese and English.
///
/// The texts for a present value may use the placeholders `{feature}` (the feature name) and
/// `{value}` (the subject's value), and a word choice `{singular|plural}` that agrees with the
/// value: `"{value} {penalty|penalties} in the last year"` reads "1 penalty …" and "2 penalties …".
/// A missing value (no record, or a record withheld from the partner) takes the missing texts
/// instead, which may use `{feature}` only.
public struct ReasonCode: Sendable, Hashable {
    /// Stable id reported to partners, for example `R03` or `D01`.
    public var code: String
    /// Text for a present value, in Chinese.
    public var chinese: String
    /// Text for a present value, in English.
    public var english: String
    /// Text for a missing value, in Chinese.
    public var missingChinese: String
    /// Text for a missing value, in English.
    public var missingEnglish: String

    /// Missing texts a card need not spell out.
    public static let defaultMissingChinese = "{feature}：缺失"
    public static let defaultMissingEnglish = "{feature}: not available"

    public init(
        code: String, chinese: String, english: String,
        missingChinese: String = defaultMissingChinese, missingEnglish: String = defaultMissingEnglish
    ) {
        self.code = code
        self.chinese = chinese
        self.english = english
        self.missingChinese = missingChinese
        self.missingEnglish = missingEnglish
    }

    /// The placeholders a text for a present value may use (besides word choices).
    public static let placeholders: Set<String> = ["feature", "value"]

    /// The texts for `value` of `feature`, `nil` when missing. In the Chinese text a categorical
    /// value of the fused features is written in Chinese (`chineseValues`: `no` → 否), so that a
    /// reason reads 高新技术企业：否, not 高新技术企业：no; the English text and the answer's `value` keep
    /// the value as it is.
    public func texts(feature: String, value: String?) -> (chinese: String, english: String) {
        guard let value else {
            return (Self.render(missingChinese, feature: feature, value: ""), Self.render(missingEnglish, feature: feature, value: ""))
        }
        return (Self.render(chinese, feature: feature, value: Self.chineseValues[value] ?? value), Self.render(english, feature: feature, value: value))
    }

    /// The categorical values of the fused features (`FusionFeature`) in Chinese: yes and no, an
    /// organisation's registration status (存续, 吊销, 注销, as the registration authorities write
    /// them), its registered capital band (万元), its customs credit level (as the customs' credit
    /// management rules name them), and `other`, a card's catch-all category.
    public static let chineseValues = [
        "yes": "是", "no": "否", "other": "其他",
        "active": "存续", "revoked": "吊销", "deregistered": "注销",
        "under_100": "100以下", "100_to_500": "100–500", "500_to_1000": "500–1000", "1000_to_5000": "1000–5000", "5000_plus": "5000以上",
        "advanced_certified": "高级认证企业", "general": "一般信用企业", "dishonest": "失信企业", "none": "无海关信用等级",
    ]

    /// The placeholders in `text` that are neither allowed names nor (when `choices`) word
    /// choices: `{singular|plural}` with both words non-empty.
    static func unknownPlaceholders(in text: String, allowed: Set<String>, choices: Bool) -> [String] {
        placeholders(in: text).filter { name in
            if allowed.contains(name) { return false }
            let words = name.split(separator: "|", omittingEmptySubsequences: false)
            return !(choices && words.count == 2 && words.allSatisfy { !$0.isEmpty })
        }
    }

    /// The `{…}` names in `text`, in order.
    private static func placeholders(in text: String) -> [String] {
        var names: [String] = []
        var rest = text[...]
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    /// `template` with its word choices, `{feature}` and `{value}` filled in (in that order, so a
    /// brace in a value is never read as a placeholder); a choice takes its singular word when
    /// `value` is 1.
    private static func render(_ template: String, feature: String, value: String) -> String {
        var text = template
        for name in placeholders(in: template) {
            let words = name.split(separator: "|", omittingEmptySubsequences: false)
            guard words.count == 2 else { continue }
            text = text.replacingOccurrences(of: "{\(name)}", with: value == "1" ? words[0] : words[1])
        }
        return text.replacingOccurrences(of: "{feature}", with: feature).replacingOccurrences(of: "{value}", with: value)
    }
}
