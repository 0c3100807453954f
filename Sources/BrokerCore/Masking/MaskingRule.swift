/// A de-identification technique applied to one value.
public enum MaskingRule: Sendable, Hashable {
    /// How far down an address is kept.
    public enum AddressLevel: String, Sendable, Hashable, CaseIterable {
        case province, city, district
    }

    /// Keep `first` leading and `last` trailing characters; mask everything when the value is not longer.
    case keepEnds(first: Int, last: Int)
    /// Keep the surname (compound surnames from the policy), mask each other character.
    case surname
    /// Keep the administrative divisions down to `level`, mask each later character.
    case address(level: AddressLevel)
    /// Replace the value by a fixed mask that reveals not even its length.
    case hidden

    /// The mask character.
    static let star: Character = "*"
    /// What `hidden` produces.
    static let hiddenText = "******"

    /// `text` masked by this rule.
    public func apply(to text: String, compoundSurnames: Set<String>) -> String {
        guard !text.isEmpty else { return text }
        switch self {
        case .hidden:
            return Self.hiddenText
        case let .keepEnds(first, last):
            if let masked = Self.keepASCIIEnds(of: text, first: first, last: last) { return masked }
            let characters = Array(text)
            let kept = characters.count > first + last ? (first, last) : (0, 0)
            return Self.mask(characters, keepingFirst: kept.0, last: kept.1)
        case .surname:
            let characters = Array(text)
            let compound = characters.count > 2 && compoundSurnames.contains(String(characters[0..<2]))
            return Self.mask(characters, keepingFirst: characters.count > 1 ? (compound ? 2 : 1) : 0, last: 0)
        case .address(let level):
            let characters = Array(text)
            return Self.mask(characters, keepingFirst: AddressPrefix.length(of: characters, downTo: level), last: 0)
        }
    }

    /// `characters` with every one but the first `head` and the last `tail` replaced by the mask character.
    private static func mask(_ characters: [Character], keepingFirst head: Int, last tail: Int) -> String {
        String(characters[..<head]) + String(repeating: star, count: characters.count - head - tail)
            + String(characters[(characters.count - tail)...])
    }

    /// `keepEnds` on printable ASCII (identifiers, telephone numbers), byte by byte: one byte is one
    /// character there, so no grapheme breaking is needed. `nil` for other text.
    private static func keepASCIIEnds(of text: String, first: Int, last: Int) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            guard bytes.allSatisfy({ (0x20..<0x7F).contains($0) }) else { return nil }
            let kept = bytes.count > first + last ? (head: first, tail: last) : (head: 0, tail: 0)
            return String(unsafeUninitializedCapacity: bytes.count) { buffer in
                for index in bytes.indices {
                    buffer[index] = index < kept.head || index >= bytes.count - kept.tail ? bytes[index] : UInt8(ascii: "*")
                }
                return bytes.count
            }
        }
    }
}

/// Finds the administrative-division prefix of a Chinese address (province, prefecture city, district).
private enum AddressPrefix {
    // As characters once, not broken into graphemes again for every address and every run tried.
    static let municipalities: [[Character]] = ["北京市", "上海市", "天津市", "重庆市"].map(Array.init)
    static let provinceSuffixes: [[Character]] = ["特别行政区", "自治区", "省"].map(Array.init)
    static let citySuffixes: [[Character]] = ["自治州", "地区", "市", "州", "盟"].map(Array.init)
    static let districtSuffixes: [[Character]] = ["新区", "区", "县", "市", "旗"].map(Array.init)

    /// The number of leading characters naming divisions down to `level`; 0 when none is recognised.
    static func length(of address: [Character], downTo level: MaskingRule.AddressLevel) -> Int {
        var position = 0
        var kept = 0
        if let municipality = municipalities.first(where: { address.starts(with: $0) }) {
            position = municipality.count
            kept = position
            if level == .province || level == .city { return kept }
        } else {
            if let end = component(in: address, from: position, suffixes: provinceSuffixes, maxLength: 8) {
                position = end
                kept = end
            }
            if level == .province { return kept }
            if let end = component(in: address, from: position, suffixes: citySuffixes, maxLength: 8) {
                position = end
                kept = end
            }
            if level == .city { return kept }
        }
        return component(in: address, from: position, suffixes: districtSuffixes, maxLength: 8) ?? kept
    }

    /// The end of the shortest run starting at `start`, at most `maxLength` long, that ends with a suffix
    /// and leaves something after it.
    private static func component(in address: [Character], from start: Int, suffixes: [[Character]], maxLength: Int) -> Int? {
        let limit = min(address.count - 1, start + maxLength)
        guard start + 2 <= limit else { return nil }
        for end in (start + 2)...limit {
            let run = address[start..<end]
            if suffixes.contains(where: { run.count > $0.count && run.suffix($0.count).elementsEqual($0) }) {
                return end
            }
        }
        return nil
    }
}
