import BrokerStore
import PostgresClient
import TestSupport
import Testing

/// A `TextArrayParameter` reaches PostgreSQL as exactly the strings it was given, in order: quotes,
/// backslashes (alone or carrying a combining mark), the array syntax's own characters, empty
/// strings, "NULL", multi-byte characters and combining marks included.
@Suite struct TextArrayParameterTests {
    @Test func everyElementArrivesAsItWasGiven() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        let lists: [[String]] = [
            [],
            [""],
            ["NULL", "null", " NULL "],
            ["a,b", "{c}", "d\"e", "f\\g", "\\\"", "\"", "\\"],
            ["江苏省南京市", "91320102MA1XXXXX9N", "e\u{301}", "👩‍👩‍👧", "tab\there", "line\nbreak"],
            [" leading", "trailing ", "  "],
            // A quote or a backslash followed by a combining mark: one `Character` with the mark, so
            // an escaper that compared Characters with `"` left it unescaped (the array literal broke).
            ["\"\u{301}", "\\\u{301}", "a\"\u{301},b"],
        ]
        for list in lists {
            let rows = try await pool.query("""
                SELECT element, position FROM unnest(\(TextArrayParameter(list))::text[]) WITH ORDINALITY AS e(element, position)
                ORDER BY position
                """)
            let received = try rows.map { try $0.decode(String.self, at: 0) }
            #expect(received == list)
            // Byte for byte, not only equal as Swift strings (which compare canonically equivalent forms equal).
            #expect(received.map { Array($0.utf8) } == list.map { Array($0.utf8) })
        }
        await pool.close()
    }
}
