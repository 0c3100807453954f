/// A statement prepared once per connection and then executed by name.
///
/// Hot queries use one: the server parses and plans it once per connection instead of per call.
/// Declare statements as constants; parameters are bound at each execution.
public struct PostgresStatement: Sendable, Hashable {
    public let sql: String
    let name: String

    /// - Parameter sql: SQL text with `$n` placeholders. It is fixed text, never built from values.
    public init(_ sql: StaticString) {
        self.init(unsafeSQL: sql.description)
    }

    /// A statement whose text is built at run time (from fixed fragments, never from values).
    public init(unsafeSQL sql: String) {
        self.sql = sql
        // FNV-1a of the text: stable, short, and the same on every connection.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        self.name = "cb_" + String(hash, radix: 16)
    }
}
