/// A unified social credit code (统一社会信用代码, GB 32100-2015): the identifier of every
/// organisation subject.
///
/// Positions: 1 registering department, 2 organisation type, 3–8 administrative division
/// (GB/T 2260), 9–17 the GB 11714 organisation code (8 characters and its check character),
/// 18 the check character over the 31-symbol alphabet `0-9A-Z` without I, O, S, V, Z.
/// Lower-case letters are accepted and normalised to upper case; the canonical form is upper case.
/// Equality and hashing use the canonical text; the type encodes as that string.
public struct UnifiedSocialCreditCode: Sendable, CheckedIdentifier, CustomStringConvertible {
    /// The 18 characters, upper case.
    public let rawValue: String
    /// Positions 1–2.
    public let organisationType: OrganisationType
    /// Positions 3–8: the division of the registering authority.
    public let division: AdministrativeDivision

    /// Parses strictly: any failed rule, check characters included, throws.
    public init(_ text: some StringProtocol) throws(IdentifierError) {
        let parsed = try Self.parseLenient(text)
        if let warning = parsed.checkWarning { throw warning }
        self = parsed.identifier
    }

    /// Parses leniently: structural rules throw, a failed check character is returned as a warning.
    public static func parseLenient(_ text: some StringProtocol) throws(IdentifierError) -> LenientParse<Self> {
        var bytes = try IdentifierError.Kind.unifiedSocialCreditCode.bytes(of: text)
        for position in bytes.indices {
            if bytes[position] >= UInt8(ascii: "a"), bytes[position] <= UInt8(ascii: "z") { bytes[position] -= 32 }
            // Position 18 is only compared with the computed check character, so any letter or digit
            // there reads as a wrong check character rather than a foreign symbol.
            let byte = bytes[position]
            let allowed = position == 17
                ? (48...57).contains(byte) || (65...90).contains(byte)
                : Self.value(of: byte) != nil
            guard allowed else { throw .invalidCharacter(.unifiedSocialCreditCode, position: position + 1) }
        }
        guard RegisteringDepartment(rawValue: Character(Unicode.Scalar(bytes[0]))) != nil else {
            throw .unknownRegisteringDepartment
        }
        guard let type = OrganisationType(rawValue: String(decoding: bytes[0..<2], as: UTF8.self)) else {
            throw .unknownOrganisationType
        }
        var divisionCode = 0
        for position in 2..<8 {
            guard bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") else {
                throw .invalidCharacter(.unifiedSocialCreditCode, position: position + 1)
            }
            divisionCode = divisionCode * 10 + Int(bytes[position] - UInt8(ascii: "0"))
        }
        let division = try AdministrativeDivision(code: divisionCode, for: .unifiedSocialCreditCode)

        // Position 17 first: position 18 checks positions 1–17, so its expected character is the
        // right one only once position 17 is.
        let expectedCheck = Self.checkCharacter(forFirst17: bytes[0..<17])
        let expectedOrganisationCheck = Self.organisationCodeCheck(for: bytes[8..<16])
        let warning: IdentifierError? =
            if bytes[16] != expectedOrganisationCheck {
                .wrongOrganisationCodeCheck(expected: Character(Unicode.Scalar(expectedOrganisationCheck)))
            } else if bytes[17] != expectedCheck {
                .wrongCheckCharacter(.unifiedSocialCreditCode, expected: Character(Unicode.Scalar(expectedCheck)))
            } else {
                nil
            }
        let code = UnifiedSocialCreditCode(
            rawValue: String(decoding: bytes, as: UTF8.self), organisationType: type, division: division)
        return LenientParse(identifier: code, checkWarning: warning)
    }

    /// Builds a valid code from its parts, computing both check characters.
    /// - Parameter organisationCode: the first 8 characters of the GB 11714 organisation code,
    ///   from the USCC alphabet.
    public init(type: OrganisationType, division: Int, organisationCode: some StringProtocol) throws(IdentifierError) {
        _ = try AdministrativeDivision(code: division, for: .unifiedSocialCreditCode)
        let code = Array(organisationCode.uppercased().utf8)
        guard code.count == 8 else { throw .wrongLength(.unifiedSocialCreditCode, actual: code.count + 10) }
        var bytes = Array((type.rawValue + String(division)).utf8) + code
        bytes.append(Self.organisationCodeCheck(for: bytes[8..<16]))
        bytes.append(Self.checkCharacter(forFirst17: bytes[0..<17]))
        try self.init(String(decoding: bytes, as: UTF8.self))
    }

    private init(rawValue: String, organisationType: OrganisationType, division: AdministrativeDivision) {
        self.rawValue = rawValue
        self.organisationType = organisationType
        self.division = division
    }

    /// The registering department (position 1).
    public var registeringDepartment: RegisteringDepartment { organisationType.department }

    /// Positions 9–17: the GB 11714 organisation code with its check character.
    public var organisationCode: Substring { rawValue.dropFirst(8).prefix(9) }

    public var description: String { rawValue }

    /// Parses strictly (`CheckedIdentifier`: how a JSON string decodes).
    public init(checking text: String) throws(IdentifierError) {
        try self.init(text)
    }

    // MARK: Check characters

    /// `0123456789ABCDEFGHJKLMNPQRTUWXY`: the 31 symbols, value = index.
    static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY".utf8)

    /// Weights 3^(i-1) mod 31 for positions 1–17.
    private static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    /// GB 11714 weights for the 8 organisation-code characters.
    private static let organisationCodeWeights = [3, 7, 9, 10, 5, 8, 4, 2]

    /// Value of each upper-case ASCII byte in the USCC alphabet, -1 outside it.
    private static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = Int8(value) }
        return table
    }()

    private static func value(of byte: UInt8) -> Int? {
        guard byte < 128, values[Int(byte)] >= 0 else { return nil }
        return Int(values[Int(byte)])
    }

    /// The position-18 check character for 17 upper-case alphabet bytes.
    static func checkCharacter(forFirst17 body: ArraySlice<UInt8>) -> UInt8 {
        var sum = 0
        for (offset, byte) in body.enumerated() { sum += (value(of: byte) ?? 0) * weights[offset] }
        return alphabet[(31 - sum % 31) % 31]
    }

    /// The GB 11714 check character for 8 organisation-code bytes (digits = 0–9, A = 10 … Z = 35).
    static func organisationCodeCheck(for code: ArraySlice<UInt8>) -> UInt8 {
        var sum = 0
        for (offset, byte) in code.enumerated() {
            let value = byte <= UInt8(ascii: "9") ? Int(byte) - 48 : Int(byte) - 55
            sum += value * organisationCodeWeights[offset]
        }
        switch 11 - sum % 11 {
        case 10: return UInt8(ascii: "X")
        case 11: return UInt8(ascii: "0")
        case let digit: return UInt8(48 + digit)
        }
    }
}
