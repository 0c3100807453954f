/// A distinguished name written as text, the way RFC 4514 writes it and swift-certificates prints a
/// certificate's subject (`CN=Li\, Wei,OU=admin-security,O=Bank,C=CN`): attributes split at every
/// comma or plus sign that is not escaped, each value with its escapes undone (`\,` → `,`, `\2C` →
/// `,`). The one reader of subject text: the four-eyes check's person, the names the admin tools
/// show, and contracts' subjects (`DistinguishedName(text:)`).
public struct DistinguishedNameText: Sendable, Hashable {
    public struct Attribute: Sendable, Hashable {
        /// As written (`CN`, `O`, `os-account`).
        public let type: String
        /// Unescaped.
        public let value: String

        public init(type: String, value: String) {
            self.type = type
            self.value = value
        }
    }

    /// In the text's order (swift-certificates prints the most specific first).
    public let attributes: [Attribute]

    /// `nil` if a part has no `=` or no type, or the text ends in a lone backslash or a separator.
    public init?(_ text: String) {
        var attributes: [Attribute] = []
        var type: String?
        // The current part's bytes, each with whether it was escaped (an escaped space is kept at
        // either end of a value; the spaces around separators are not).
        var current: [(byte: UInt8, escaped: Bool)] = []
        var bytes = Array(text.utf8)[...]

        func trimmed() -> [UInt8] {
            var part = current[...]
            while let first = part.first, first.byte == UInt8(ascii: " "), !first.escaped { part.removeFirst() }
            while let last = part.last, last.byte == UInt8(ascii: " "), !last.escaped { part.removeLast() }
            return part.map(\.byte)
        }
        func finish() -> Bool {
            guard let type, !type.isEmpty else { return false }
            attributes.append(Attribute(type: type, value: String(decoding: trimmed(), as: UTF8.self)))
            current = []
            return true
        }

        while let byte = bytes.popFirst() {
            switch byte {
            case UInt8(ascii: "\\"):
                guard let next = bytes.popFirst() else { return nil }
                if let high = UInt8(hexDigit: next), let following = bytes.first, let low = UInt8(hexDigit: following) {
                    bytes.removeFirst()
                    current.append((high << 4 | low, true))
                } else {
                    current.append((next, true))
                }
            case UInt8(ascii: "=") where type == nil:
                type = String(decoding: trimmed(), as: UTF8.self)
                current = []
            case UInt8(ascii: ","), UInt8(ascii: "+"):
                guard finish() else { return nil }
                type = nil
            default:
                current.append((byte, false))
            }
        }
        guard finish() else { return nil }
        self.attributes = attributes
    }

    /// The values of every attribute of this type (compared without regard to case).
    public func values(of type: String) -> [String] {
        attributes.filter { $0.type.uppercased() == type.uppercased() }.map(\.value)
    }

    /// The first `CN`, unescaped.
    public var commonName: String? { values(of: "CN").first }
}
