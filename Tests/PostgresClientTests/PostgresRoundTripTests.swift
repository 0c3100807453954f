import Foundation
import PostgresClient
import TestSupport
import Testing

@Suite struct PostgresRoundTripTests {
    struct Profile: Codable, Equatable, Sendable {
        var name: String
        var tags: [String]
        var score: Double?
    }

    @Test func valuesRoundTripThroughParameters() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 2))
        try await pool.query("""
            CREATE TABLE samples (
                id int8 PRIMARY KEY, label text, amount float8, flag bool, at timestamptz,
                blob bytea, doc jsonb, note text
            )
            """)
        let when = Date(timeIntervalSince1970: 1_714_998_896.123456)
        let blob: [UInt8] = [0, 1, 2, 0xfe, 0xff, 0x5c, 0x78]
        let profile = Profile(name: "江苏银行 \u{1F3E6}", tags: ["信易贷", "ü"], score: nil)
        try await pool.query("""
            INSERT INTO samples VALUES (\(1), \("南京市鼓楼区 ✓ \u{0}".replacingOccurrences(of: "\u{0}", with: "")),
                \(2.5), \(true), \(when), \(blob), \(PostgresJSON(profile)), \(nil as String?))
            """)
        let row = try await pool.query("SELECT id, label, amount, flag, at, blob, doc, note FROM samples")[0]
        #expect(try row.decode(Int.self, "id") == 1)
        #expect(try row.decode(String.self, "label") == "南京市鼓楼区 ✓ ")
        #expect(try row.decode(Double.self, "amount") == 2.5)
        #expect(try row.decode(Bool.self, "flag") == true)
        let decodedDate = try row.decode(Date.self, "at")
        #expect(abs(decodedDate.timeIntervalSince(when)) < 0.000_001)
        #expect(try row.decode([UInt8].self, "blob") == blob)
        #expect(try row.decode(PostgresJSON<Profile>.self, "doc").value == profile)
        #expect(try row.decode(String?.self, "note") == nil)
        await pool.close()
    }

    /// A partner may ask for usage from 0001-01-01: its China midnight is 31 December of the year
    /// before 1 AD, which PostgreSQL writes `… BC` (it has no year 0). The text we sent was
    /// `0000-12-31 16:00:00+00`, which the server refused (22008), and the route answered 500.
    /// Years before 1 AD and after 9999 cross both ways, and compare as the same instants.
    @Test func instantsBeforeTheFirstYearAndAfter9999CrossBothWays() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        let seconds: [Double] = [
            -62_135_625_600,  // 0000-12-31 16:00 UTC: 0001-01-01 in China
            -62_135_596_800,  // 0001-01-01 00:00 UTC
            -62_167_219_200,  // 0000-01-01 (1 BC)
            -65_320_000_000.5,  // about 100 BC, half a second
            253_402_300_800,  // 10000-01-01
            1_714_998_896.123456,
        ]
        for value in seconds {
            let instant = Date(timeIntervalSince1970: value)
            let row = try await pool.query("SELECT extract(epoch FROM \(instant)::timestamptz)::float8, \(instant)::timestamptz")[0]
            #expect(abs(try row.decode(Double.self, at: 0) - value) < 0.000_001, "\(value) as the server read it")
            #expect(abs(try row.decode(Date.self, at: 1).timeIntervalSince1970 - value) < 0.000_001, "\(value) as the server wrote it")
        }
        await pool.close()
    }

    @Test func injectionStringIsStoredAsData() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        try await pool.query("CREATE TABLE names (name text)")
        let hostile = "x'); DROP TABLE names; --\\\" $1 \u{27}"
        try await pool.query("INSERT INTO names VALUES (\(hostile))")
        let rows = try await pool.query("SELECT name FROM names WHERE name = \(hostile)")
        #expect(rows.count == 1)
        #expect(try rows[0].decode(String.self, at: 0) == hostile)
        await pool.close()
    }

    @Test func typeMismatchNamesTheColumn() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        let row = try await pool.query("SELECT 'abc'::text AS label, NULL::int AS missing")[0]
        let mismatch = #expect(throws: PostgresError.self) { try row.decode(Int.self, "label") }
        #expect(mismatch?.description.contains("\"label\"") == true)
        #expect(mismatch?.description.contains("text") == true)
        let null = #expect(throws: PostgresError.self) { try row.decode(Int.self, "missing") }
        #expect(null?.description.contains("\"missing\" is NULL") == true)
        #expect(try row.decode(Int?.self, "missing") == nil)
        await pool.close()
    }

    @Test func serverErrorsCarryStateButNeverParameterValues() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        try await pool.query("CREATE TABLE people (id_hash text PRIMARY KEY)")
        let secret = "320102199003070019"
        try await pool.query("INSERT INTO people VALUES (\(secret))")
        let duplicate = await #expect(throws: PostgresError.self) {
            try await pool.query("INSERT INTO people VALUES (\(secret))")
        }
        #expect(duplicate?.sqlState == "23505")
        #expect(duplicate?.detail?.isEmpty == false)
        #expect(duplicate?.description.contains(secret) == false)
        let syntax = await #expect(throws: PostgresError.self) {
            try await pool.query("SELECT \(secret + "x")::int8")
        }
        #expect(syntax?.sqlState == "22P02")
        #expect(syntax?.description.contains(secret) == false)
        await pool.close()
    }

    /// Values whose first or last character joins the quote PostgreSQL writes around it (a combining
    /// mark, a prepended mark) are scrubbed as well: Swift's string search compares grapheme clusters,
    /// and a value that is not whole clusters of the message must still be found.
    @Test func valuesThatJoinTheServersQuotesAreScrubbedToo() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        for secret in ["\u{301}320102199003070019", "320102199003070019\u{600}", "\u{301}王小明"] {
            let syntax = await #expect(throws: PostgresError.self) {
                try await pool.query("SELECT \(secret)::int8")
            }
            #expect(syntax?.sqlState == "22P02")
            let text = "\(syntax.map { "\($0) \($0.message) \($0.detail ?? "")" } ?? "")"
            #expect(text.utf8.firstRange(of: secret.utf8) == nil, "the value is in the error")
        }
        // A key's value that begins with a combining mark, echoed in `Key (id)=(…)` by a statement
        // that binds no value (as rows moved from a staging table are): only the `)=(` marker finds it,
        // and `(` with the mark is one Character, which a Character-wise search did not match.
        try await pool.query("CREATE TABLE people (id text PRIMARY KEY)")
        try await pool.query("CREATE TABLE staged (id text)")
        try await pool.query("INSERT INTO staged VALUES (\("\u{301}320102199003070019")), (\("\u{301}320102199003070019"))")
        let duplicate = await #expect(throws: PostgresError.self) {
            try await pool.query("INSERT INTO people SELECT id FROM staged")
        }
        #expect(duplicate?.sqlState == "23505")
        #expect(duplicate?.detail?.isEmpty == false)
        #expect(duplicate?.detail.map { $0.utf8.firstRange(of: "320102199003070019".utf8) == nil } == true)
        await pool.close()
    }

    /// A two-character name is personal data too: a value is scrubbed from three UTF-8 bytes up, not
    /// three characters, so "李四" (six bytes) goes and "42" stays (short ASCII values are too common
    /// in a message to take out without garbling it).
    @Test func aShortNameInAnErrorIsScrubbedButNotAShortNumber() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        let name = await #expect(throws: PostgresError.self) { try await pool.query("SELECT \("李四")::date") }
        #expect(name?.sqlState == "22007")
        #expect(name.map { "\($0) \($0.message) \($0.detail ?? "")" }?.contains("李四") == false)
        let number = await #expect(throws: PostgresError.self) { try await pool.query("SELECT \("42")::date") }
        #expect(number?.message.contains("42") == true)
        await pool.close()
    }

    /// A batch bound as one JSON parameter (`PostgresJSON`, read with `jsonb_to_recordset`, as the
    /// ingest's merge and the meter batch bind theirs): a value the server echoes from inside it is
    /// scrubbed as a whole parameter's would be, a name in a key or in an array too.
    @Test func aValueEchoedFromInsideAJSONParameterIsScrubbed() async throws {
        struct Row: Encodable { let id: String; let born: String }
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        let rows = [Row(id: "a", born: "2001-02-03"), Row(id: "b", born: "王小明 320102199003070019")]
        let inside = await #expect(throws: PostgresError.self) {
            try await pool.query("SELECT r.born::date FROM jsonb_to_recordset(\(PostgresJSON(rows))::jsonb) AS r(id text, born text)")
        }
        #expect(inside?.sqlState == "22007")
        let text = inside.map { "\($0) \($0.message) \($0.detail ?? "")" } ?? ""
        #expect(!text.contains("王小明") && !text.contains("320102199003070019"), "\(text)")
        #expect(text.contains("…"), "\(text)")
        let keyed = await #expect(throws: PostgresError.self) {
            try await pool.query("SELECT k::int FROM jsonb_object_keys(\(PostgresJSON(["张三丰": 1]))::jsonb) AS k")
        }
        #expect(keyed?.sqlState == "22P02")
        #expect(keyed.map { "\($0) \($0.message) \($0.detail ?? "")" }?.contains("张三丰") == false)
        let listed = await #expect(throws: PostgresError.self) {
            try await pool.query("SELECT e::int FROM jsonb_array_elements_text(\(PostgresJSON(["12", "李四光"]))::jsonb) AS e")
        }
        #expect(listed?.sqlState == "22P02")
        #expect(listed.map { "\($0) \($0.message) \($0.detail ?? "")" }?.contains("李四光") == false)
        // A text[] bound as an array literal (TextArrayParameter's form): a cast echoes the element
        // at fault, which was kept in the message (only the literal as a whole was scrubbed).
        let array = await #expect(throws: PostgresError.self) {
            try await pool.query("SELECT \(#"{"2001-02-03","320102199003070019 \"王五\""}"#)::date[]")
        }
        #expect(array?.sqlState == "22007")
        let arrayText = array.map { "\($0) \($0.message) \($0.detail ?? "")" } ?? ""
        #expect(!arrayText.contains("320102199003070019") && !arrayText.contains("王五"), "\(arrayText)")
        await pool.close()
    }

    /// PostgreSQL's text cannot hold NUL, and libpq sends a text parameter only up to its first one:
    /// "kept\0lost" was stored as "kept", silently. Now the statement is refused, naming the
    /// parameter and not its value, and nothing is stored.
    @Test func aTextParameterWithANULIsRefusedNotCutShort() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        try await pool.query("CREATE TABLE notes (note text)")
        let refused = await #expect(throws: PostgresError.self) { try await pool.query("INSERT INTO notes VALUES (\("kept\u{0}lost"))") }
        #expect(refused?.kind == .usage)
        #expect(refused.map { "\($0)" }?.contains("$1") == true && refused.map { "\($0)" }?.contains("kept") == false)
        #expect(try await pool.query("SELECT count(*) FROM notes")[0].decode(Int.self, at: 0) == 0)
        await #expect(throws: PostgresError.self) { try await pool.execute(PostgresStatement("SELECT $1::text"), ["a\u{0}b"]) }
        #expect(try await pool.query("SELECT \("no NUL")::text")[0].decode(String.self, at: 0) == "no NUL")
        await pool.close()
    }

    @Test func preparedStatementsRunRepeatedly() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 2))
        try await pool.query("CREATE TABLE squares (n int PRIMARY KEY, sq int)")
        try await pool.query("INSERT INTO squares SELECT g, g * g FROM generate_series(1, 100) g")
        let lookup = PostgresStatement("SELECT sq FROM squares WHERE n = $1")
        for n in [3, 7, 3, 100] {
            let rows = try await pool.execute(lookup, [n])
            #expect(try rows[0].decode(Int.self, at: 0) == n * n)
        }
        await pool.close()
    }
}

/// A text column read as a `PostgresTextEnum`: a known value decodes, binds back as its raw
/// value, and an unknown one fails naming the column and the type, never the value.
@Test func aTextEnumDecodesItsValuesAndNamesTheColumnOfAnUnknownOne() async throws {
    enum Colour: String, PostgresTextEnum { case red, green }
    let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
    let row = try await pool.query("SELECT \(Colour.green) AS known, 'mauve-1c9e' AS unknown, NULL::text AS missing")[0]
    #expect(try row.decode(Colour.self, at: 0) == .green)
    #expect(try row.decode(Colour?.self, at: 2) == nil)
    let error = #expect(throws: PostgresError.self) { try row.decode(Colour.self, at: 1) }
    #expect(error?.kind == .decoding)
    #expect(error?.message.contains("\"unknown\"") == true && error?.message.contains("Colour") == true, "\(String(describing: error))")
    #expect(error?.message.contains("mauve-1c9e") == false)
    await pool.close()
}
