/// A resident identity card number (居民身份证号码, GB 11643-1999): the identifier of a person.
///
/// Positions: 1–6 address code (GB/T 2260), 7–14 birth date `YYYYMMDD`, 15–17 sequence (odd for
/// men, even for women), 18 the ISO 7064 MOD 11-2 check character (`0-9` or `X`).
/// A lower-case `x` is accepted and normalised to `X`: people type it so, and one canonical form
/// keeps the keyed hash (`PersonKeyHasher`) stable.
///
/// The number is personal information of the highest sensitivity: `description` never shows it
/// (string interpolation and test output print `ResidentIDNumber(redacted)`); read `rawValue`
/// deliberately where the clear number is needed.
public struct ResidentIDNumber: Sendable, CheckedIdentifier, CustomStringConvertible, CustomDebugStringConvertible {
    /// The person's sex, from the parity of the sequence number.
    public enum Sex: String, Sendable, Hashable, CaseIterable {
        case male, female

        /// 男 or 女.
        public var chineseName: String { self == .male ? "男" : "女" }
    }

    /// The 18 characters, check character upper case.
    public let rawValue: String
    /// Positions 1–6: the address code at issuance.
    public let division: AdministrativeDivision
    /// Positions 7–14.
    public let birthDate: CivilDate
    /// Positions 15–17, 0–999.
    public let sequence: Int

    /// Parses strictly: any failed rule, the check character included, throws.
    /// - Parameter today: the date a birth date may not follow (China Standard Time by default).
    public init(_ text: some StringProtocol, today: CivilDate = .today()) throws(IdentifierError) {
        let parsed = try Self.parseLenient(text, today: today)
        if let warning = parsed.checkWarning { throw warning }
        self = parsed.identifier
    }

    /// Parses leniently: structural rules throw, a wrong check character is returned as a warning.
    public static func parseLenient(
        _ text: some StringProtocol, today: CivilDate = .today()
    ) throws(IdentifierError) -> LenientParse<Self> {
        var bytes = try IdentifierError.Kind.residentIDNumber.bytes(of: text)
        if bytes[17] == UInt8(ascii: "x") { bytes[17] = UInt8(ascii: "X") }
        for position in 0..<17 where !isDigit(bytes[position]) {
            throw .invalidCharacter(.residentIDNumber, position: position + 1)
        }
        guard isDigit(bytes[17]) || bytes[17] == UInt8(ascii: "X") else {
            throw .invalidCharacter(.residentIDNumber, position: 18)
        }
        let division = try AdministrativeDivision(code: number(bytes[0..<6]), for: .residentIDNumber)
        guard let birthDate = CivilDate(
            year: number(bytes[6..<10]), month: number(bytes[10..<12]), day: number(bytes[12..<14]))
        else { throw .invalidBirthDate(.notACalendarDate) }
        guard birthDate.year >= 1800 else { throw .invalidBirthDate(.before1800) }
        guard birthDate <= today else { throw .invalidBirthDate(.inTheFuture) }

        let expected = checkCharacter(forFirst17: bytes[0..<17])
        let id = ResidentIDNumber(
            rawValue: String(decoding: bytes, as: UTF8.self), division: division, birthDate: birthDate,
            sequence: number(bytes[14..<17]))
        let warning: IdentifierError? =
            bytes[17] == expected ? nil : .wrongCheckCharacter(.residentIDNumber, expected: Character(Unicode.Scalar(expected)))
        return LenientParse(identifier: id, checkWarning: warning)
    }

    /// Builds a valid number from its parts, computing the check character.
    /// - Parameter sequence: 0–999; odd for a man, even for a woman.
    public init(
        division: Int, birthDate: CivilDate, sequence: Int, today: CivilDate = .today()
    ) throws(IdentifierError) {
        _ = try AdministrativeDivision(code: division, for: .residentIDNumber)
        guard birthDate.year >= 1800 else { throw .invalidBirthDate(.before1800) }
        guard (0...999).contains(sequence) else { throw .invalidCharacter(.residentIDNumber, position: 15) }
        let (year, month, day) = birthDate.components
        let date = year * 10_000 + month * 100 + day
        var bytes = Array((String(division) + String(date) + String(1000 + sequence).dropFirst()).utf8)
        bytes.append(Self.checkCharacter(forFirst17: bytes[0..<17]))
        try self.init(String(decoding: bytes, as: UTF8.self), today: today)
    }

    private init(rawValue: String, division: AdministrativeDivision, birthDate: CivilDate, sequence: Int) {
        self.rawValue = rawValue
        self.division = division
        self.birthDate = birthDate
        self.sequence = sequence
    }

    /// Odd sequence numbers are given to men, even ones to women.
    public var sex: Sex { sequence % 2 == 1 ? .male : .female }

    public var description: String { "ResidentIDNumber(redacted)" }

    public var debugDescription: String { description }

    /// Parses strictly against today's date (`CheckedIdentifier`: how a JSON string decodes).
    public init(checking text: String) throws(IdentifierError) {
        try self.init(text)
    }

    // MARK: Check character

    /// ISO 7064 MOD 11-2 weights 2^(18-i) mod 11 for positions 1–17.
    private static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

    /// The check character indexed by the weighted sum mod 11.
    private static let checkCharacters = Array("10X98765432".utf8)

    /// The check character for 17 digit bytes.
    static func checkCharacter(forFirst17 digits: ArraySlice<UInt8>) -> UInt8 {
        var sum = 0
        for (offset, byte) in digits.enumerated() { sum += Int(byte - UInt8(ascii: "0")) * weights[offset] }
        return checkCharacters[sum % 11]
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// The value of a run of digit bytes already checked to be digits.
    private static func number(_ digits: ArraySlice<UInt8>) -> Int {
        digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }
}
