import BrokerCore
@testable import Gateway
import Testing

/// `RequestBody` without a server: what a body must be, how members are typed, and that problems
/// name the member at fault without quoting its value.
@Suite struct RequestBodyTests {
    /// The problem that parsing `bytes` and then `reading` it throws, or nil.
    private func refusal(_ bytes: [UInt8], reading: (RequestBody) throws(Problem) -> Void = { _ in }) -> Problem? {
        do {
            try reading(RequestBody(bytes))
            return nil
        } catch {
            return error
        }
    }

    private func refusal(_ text: String, reading: (RequestBody) throws(Problem) -> Void = { _ in }) -> Problem? {
        refusal(Array(text.utf8), reading: reading)
    }

    @Test func aBodyThatIsNotOneJSONObjectNamesTheBodyAndSaysWhy() {
        let cases: [(String, String)] = [
            ("", "The body is empty; it must be a JSON object."),
            ("{", "The body is not valid JSON at byte 2: expected a member name in quotes."),
            (#"{"subject": }"#, "The body is not valid JSON at byte 13: expected a value."),
            (#"{"items": ["a" "b"]}"#, "The body is not valid JSON at byte 16: expected ',' or ']'."),
            (#"{"purpose": "x"} {}"#, "The body is not valid JSON at byte 18: expected nothing after the value."),
            (#"["enterprise.penalty"]"#, "The body must be a JSON object, not an array."),
            (#""credit_approval""#, "The body must be a JSON object, not a string."),
            ("null", "The body must be a JSON object, not null."),
            ("42", "The body must be a JSON object, not a number."),
        ]
        for (text, detail) in cases {
            let problem = refusal(text)
            #expect(problem?.slug == "invalid-request", "\(text)")
            #expect(problem?.status == .badRequest)
            #expect(problem?.field == "body", "\(text)")
            #expect(problem?.detail == detail, "\(text)")
        }
    }

    @Test func nestingTooDeepIsRefusedBeforeItCanExhaustTheStack() {
        let deep = #"{"purpose": "credit_approval", "extra": "# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"
        let problem = refusal(deep)
        #expect(problem?.field == "body")
        #expect(problem?.detail.contains("nested levels") == true)
    }

    @Test func aBodyThatIsNotUTF8NamesTheFirstBadByte() {
        let prefix = Array(#"{"subject": "南京"#.utf8)
        let cases: [([UInt8], Int)] = [
            (prefix + [0xFF] + Array(#""}"#.utf8), prefix.count + 1),
            (prefix + [0xE4, 0xB8] + Array(#""}"#.utf8), prefix.count + 1),
            (prefix + [0xC0, 0xAF] + Array(#""}"#.utf8), prefix.count + 1),
            (prefix + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8), prefix.count + 1),
        ]
        for (bytes, byte) in cases {
            let problem = refusal(bytes)
            #expect(problem?.field == "body")
            #expect(problem?.detail == "The body is not UTF-8 text: byte \(byte) does not belong to a valid UTF-8 sequence.", "\(bytes)")
        }
        #expect(refusal(prefix + Array(#"", "purpose": "信用"}"#.utf8)) == nil)
    }

    @Test func membersAreReadByTypeAndNullCountsAsAbsent() throws {
        let body = try RequestBody(Array(#"""
            {"purpose": "credit_approval", "items": ["enterprise.registration", "企业.处罚"], "consent_id": null,
             "bundle": null, "use_limit": 3, "client_reference": {"loan": [1, 2]}}
            """#.utf8))
        #expect(try body.string("purpose") == "credit_approval")
        #expect(try body.string(required: "purpose") == "credit_approval")
        #expect(try body.strings("items", of: "item ids") == ["enterprise.registration", "企业.处罚"])
        #expect(try body.string("consent_id") == nil)
        #expect(try body.strings("bundle", of: "category ids") == nil)
        #expect(try body.value("bundle") == nil)
        #expect(try body.string("subject") == nil)
        #expect(try body.value("use_limit") == .number("3"))
        let missing = refusal(#"{"valid_to": null}"#) { body throws(Problem) in _ = try body.string(required: "valid_to") }
        #expect(missing?.field == "valid_to" && missing?.detail == "valid_to is required.")
    }

    @Test func aMemberOfTheWrongTypeIsNamedWithWhatWasExpectedAndWhatCame() {
        let cases: [(String, (RequestBody) throws(Problem) -> Void, String, String)] = [
            (#"{"items": "enterprise.penalty"}"#, { body throws(Problem) in _ = try body.strings("items", of: "item ids") },
             "items", "items must be an array of item ids (strings), not a string."),
            (#"{"purpose": 7}"#, { body throws(Problem) in _ = try body.string("purpose") },
             "purpose", "purpose must be a string, not a number."),
            (#"{"purpose": ["credit_approval"]}"#, { body throws(Problem) in _ = try body.string(required: "purpose") },
             "purpose", "purpose must be a string, not an array."),
            (#"{"consent_id": {"id": "c-1"}}"#, { body throws(Problem) in _ = try body.string("consent_id") },
             "consent_id", "consent_id must be a string, not an object."),
            (#"{"subjects": true}"#, { body throws(Problem) in _ = try body.strings("subjects", of: "subject identifiers") },
             "subjects", "subjects must be an array of subject identifiers (strings), not a boolean."),
            (#"{"items": ["enterprise.registration", null, 3]}"#, { body throws(Problem) in _ = try body.strings("items", of: "item ids") },
             "items[1]", "items[1] must be a string, not null."),
            (#"{"subject": "91350100M000100Y43", "subject": "11010519491231002X"}"#, { body throws(Problem) in _ = try body.string("subject") },
             "subject", "subject appears more than once in the body."),
            // A NUL: no member takes one, and the driver refuses it in a statement (libpq would cut the
            // text there), so it is refused here, by the member's name, before any SQL.
            (#"{"consent_id": "cs_1\u0000x"}"#, { body throws(Problem) in _ = try body.string("consent_id") },
             "consent_id", "consent_id holds a NUL character (\\u0000), which no member takes."),
            (#"{"items": ["enterprise.registration", "x\u0000"]}"#, { body throws(Problem) in _ = try body.strings("items", of: "item ids") },
             "items[1]", "items[1] holds a NUL character (\\u0000), which no member takes."),
        ]
        for (text, read, field, detail) in cases {
            let problem = refusal(text, reading: read)
            #expect(problem?.slug == "invalid-request", "\(text)")
            #expect(problem?.field == field, "\(text)")
            #expect(problem?.detail == detail, "\(text)")
        }
    }

    @Test func membersNoOneReadsAreIgnoredEvenWhenRepeated() throws {
        let body = try RequestBody(Array(#"{"purpose": "credit_approval", "trace": 1, "trace": [null], "": {}}"#.utf8))
        #expect(try body.string("purpose") == "credit_approval")
    }

    @Test func aProblemNeverQuotesTheValueItRefuses() throws {
        let identifiers = ["91350100M000100Y43", "11010519491231002X"]
        for identifier in identifiers {
            let bodies = [
                #"{"subject": ["\#(identifier)"]}"#,
                #"{"subject": {"\#(identifier)": 1}}"#,
                #"{"subject": "\#(identifier)", "subject": "\#(identifier)"}"#,
                #"{"subjects": ["\#(identifier)", 1]}"#,
                #"{"subject": "\#(identifier)"#,
                #"{"subject": "\#(identifier)\#u{01}"}"#,
            ]
            for text in bodies {
                let problem = try #require(refusal(text) { body throws(Problem) in
                    _ = try body.string("subject")
                    _ = try body.strings("subjects", of: "subject identifiers")
                }, "\(text)")
                #expect(!problem.detail.contains(identifier.suffix(6)), "\(text)")
                #expect(problem.field?.contains(identifier.suffix(6)) == false, "\(text)")
            }
        }
    }
}
