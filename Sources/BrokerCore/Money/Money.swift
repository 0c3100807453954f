/// An amount of renminbi (CNY) in whole fen (分, 0.01 CNY): every price, amount and total the
/// broker bills.
///
/// Integer arithmetic only, so that sums are exact: no floating-point value ever holds money
/// (`MoneyTests` reads the billing sources to keep it so). Written as yuan with two decimals
/// (`12.30`, `-0.05`), the way contracts state prices and statements print amounts.
public struct Money: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The only currency the broker bills in.
    public static let currency = "CNY"
    public static let zero = Money(fen: 0)

    /// The amount in fen.
    public let fen: Int64

    public init(fen: Int64) {
        self.fen = fen
    }

    /// An amount the broker arrived at when the sum of two overflowed (more than 92 trillion yuan).
    public struct Overflow: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String { "an amount exceeds what a 64-bit count of fen holds" }
    }

    /// Reads yuan as contracts and the admin API write them: digits, at most two decimals
    /// (`0.05`, `12`, `1200.5`), a leading `-` only when `signed`; `nil` for anything else (an
    /// exponent, a thousands separator, a third decimal, more than 92 trillion).
    public init?(yuan text: some StringProtocol, signed: Bool = false) {
        var utf8 = Substring(text).utf8[...]
        let negative = utf8.first == UInt8(ascii: "-")
        if negative {
            guard signed else { return nil }
            utf8 = utf8.dropFirst()
        }
        let parts = utf8.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 14, whole.allSatisfy(Self.isDigit) else { return nil }
        var fen: Int64 = 0
        for digit in whole { fen = fen * 10 + Int64(digit - UInt8(ascii: "0")) }
        var cents: Int64 = 0
        if parts.count == 2 {
            let decimals = parts[1]
            guard (1...2).contains(decimals.count), decimals.allSatisfy(Self.isDigit) else { return nil }
            for digit in decimals { cents = cents * 10 + Int64(digit - UInt8(ascii: "0")) }
            if decimals.count == 1 { cents *= 10 }
        }
        fen = fen * 100 + cents
        self.fen = negative ? -fen : fen
    }

    /// `12.30`, `0.05`, `-7.00`.
    public var description: String {
        let magnitude = fen.magnitude
        let cents = magnitude % 100
        return (fen < 0 ? "-" : "") + String(magnitude / 100) + "." + (cents < 10 ? "0" : "") + String(cents)
    }

    /// This price times `count` units.
    public func times(_ count: Int) throws(Overflow) -> Money {
        let (product, overflow) = fen.multipliedReportingOverflow(by: Int64(count))
        guard !overflow else { throw Overflow() }
        return Money(fen: product)
    }

    /// The sum of `amounts`.
    public static func sum(_ amounts: some Sequence<Money>) throws(Overflow) -> Money {
        var total: Int64 = 0
        for amount in amounts {
            let (sum, overflow) = total.addingReportingOverflow(amount.fen)
            guard !overflow else { throw Overflow() }
            total = sum
        }
        return Money(fen: total)
    }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.fen < rhs.fen }

    /// As its yuan text (`"12.30"`): JSON numbers are read as binary floating point by many clients.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let money = Money(yuan: try container.decode(String.self), signed: true) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected yuan with at most two decimals")
        }
        self = money
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}
