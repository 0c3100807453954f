import BrokerStore
import PostgresClient
import TestSupport
import Testing

/// A `TextArrayParameter` reaches PostgreSQL as exactly the strings it was given, in order: quotes,
/// backslashes, the array syntax's own characters, empty strings, "NULL", multi-byte characters and
/// combining marks included.
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
