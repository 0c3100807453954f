import BrokerStore
import PostgresClient
import TestSupport
import Testing

@Suite struct CopyTextBufferTests {
    static let values: [String?] = [
        "plain", "", nil, #"back\slash"#, "tab\there", "new\nline", "carriage\rreturn", #"\N"#, "\\\t\n\r",
        "南京市 \u{1F600}", #"{"k": "v\\t"}"#, "ends in a backslash\\",
    ]

    @Test func escapesExactlyBackslashTabNewlineAndCarriageReturn() {
        var buffer = CopyTextBuffer()
        buffer.append("a\tb\\c\nd\re")
        buffer.append(nil)
        buffer.append("")
        buffer.endRow()
        #expect(String(decoding: buffer.bytes, as: UTF8.self) == "a\\tb\\\\c\\nd\\re\t\\N\t\n")
    }

    @Test func everyValueComesBackFromCopyAsItWent() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        defer { Task { await pool.close() } }
        var buffer = CopyTextBuffer()
        for (position, value) in Self.values.enumerated() {
            buffer.append(position)
            buffer.append(value)
            buffer.endRow()
        }
        let rows = buffer.bytes
        let stored = try await pool.transaction { connection in
            try await connection.query("CREATE TEMP TABLE copied (position int, value text)")
            _ = try await connection.copyFromStdin("COPY copied (position, value) FROM STDIN") { try $0.write(rows) }
            return try await connection.query("SELECT value FROM copied ORDER BY position").map { try $0.decode(String?.self, at: 0) }
        }
        #expect(stored == Self.values)
    }
}
