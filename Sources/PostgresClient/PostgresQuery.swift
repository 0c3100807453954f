/// A SQL statement whose values always travel as parameters.
///
/// Write queries as string literals; every interpolated value becomes a `$n` parameter and never
/// part of the SQL text:
///
/// ```swift
/// let rows = try await pool.query("SELECT name FROM subjects WHERE code = \(code)")
/// ```
///
/// SQL text that is built at run time must be marked with `unsafeRaw:` (an interpolation) or
/// `init(unsafeSQL:)`, so that a reviewer sees every place a string becomes SQL.
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation {
    public var sql: String
    public var bindings: PostgresBindings

    public init(stringLiteral value: String) {
        self.sql = value
        self.bindings = PostgresBindings()
    }

    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.bindings = stringInterpolation.bindings
    }

    /// A query from SQL text built at run time, with `$n` placeholders for `bindings`.
    /// The text must not contain values: those belong in `bindings`.
    public init(unsafeSQL sql: String, bindings: PostgresBindings = PostgresBindings()) {
        self.sql = sql
        self.bindings = bindings
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var bindings = PostgresBindings()

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// Binds `value` as the next parameter.
        public mutating func appendInterpolation(_ value: (any PostgresEncodable)?) {
            bindings.append(value)
            sql += "$\(bindings.count)"
        }

        /// Splices SQL text (an identifier, a fragment) into the statement. Never pass a value here.
        public mutating func appendInterpolation(unsafeRaw text: String) {
            sql += text
        }
    }
}
