/// A credit grade, best (`AAA`) to worst (`C`).
public enum Grade: String, Sendable, Codable, CaseIterable, Comparable {
    case aaa = "AAA"
    case aa = "AA"
    case a = "A"
    case bbb = "BBB"
    case bb = "BB"
    case b = "B"
    case ccc = "CCC"
    case cc = "CC"
    case c = "C"

    /// Better grades compare smaller: `.aaa < .c`.
    public static func < (lhs: Grade, rhs: Grade) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
