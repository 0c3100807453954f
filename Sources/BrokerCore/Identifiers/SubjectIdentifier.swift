/// The identifier of either kind of subject, told apart by its shape.
public enum SubjectIdentifier: Sendable, Hashable {
    case organisation(UnifiedSocialCreditCode)
    case person(ResidentIDNumber)

    /// Parses `text` strictly as whichever identifier it is.
    ///
    /// Seventeen digits followed by a digit or `X` whose first two digits name a province are read
    /// as an ID number first, and as a USCC only if that fails (an all-digit USCC of department 1
    /// can look like a Beijing, Tianjin or Hebei ID number); anything else is read as a USCC.
    /// The error reported is the one of the kind the text looks like.
    public init(_ text: some StringProtocol, today: CivilDate = .today()) throws(IdentifierError) {
        guard Self.looksLikeIDNumber(text) else {
            self = .organisation(try UnifiedSocialCreditCode(text))
            return
        }
        do {
            self = .person(try ResidentIDNumber(text, today: today))
        } catch {
            guard let code = try? UnifiedSocialCreditCode(text) else { throw error }
            self = .organisation(code)
        }
    }

    /// Which kind of subject the identifier names.
    public var kind: SubjectKind {
        switch self {
        case .organisation: .organisation
        case .person: .person
        }
    }

    private static func looksLikeIDNumber(_ text: some StringProtocol) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 18, bytes.prefix(17).allSatisfy({ (48...57).contains($0) }),
              (48...57).contains(bytes[17]) || bytes[17] == UInt8(ascii: "X") || bytes[17] == UInt8(ascii: "x")
        else { return false }
        return GB2260.provinces[Int(bytes[0] - 48) * 10 + Int(bytes[1] - 48)] != nil
    }
}
