/// An identifier accepted in lenient mode: well-formed in every respect, possibly with a failed
/// check character.
///
/// GB 32100 codes and ID numbers that fail their check circulate in registry data: the registry
/// feed accepts them with a data-quality warning (and counts them), while partner input is parsed
/// strictly and rejected. Every other rule (length, alphabet, division, birth date) still applies.
public struct LenientParse<Identifier: Sendable & Hashable>: Sendable, Hashable {
    /// The identifier, in canonical form.
    public let identifier: Identifier
    /// The failed check, when one failed (`IdentifierError.isCheckCharacterFailure` holds for it).
    public let checkWarning: IdentifierError?

    /// Whether every check character is right.
    public var isFullyValid: Bool { checkWarning == nil }
}
