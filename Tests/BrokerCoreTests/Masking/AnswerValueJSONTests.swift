import BrokerCore
import Formats
import Foundation
import PropertyBased
import Testing

@Suite struct AnswerValueJSONTests {
    private static let sample = #"""
        { "name": "南京某某科技有限公司", "capital": 5000000, "ratio": -12.5e-1, "listed": true, "closed": false,
          "note": null, "escapes": "a\"b\\c\/d\n\r\t\b\f\u00e9\ud83d\ude00", "nested": [[], {}, [1, {"x": [0.5]}]],
          "big": 123456789012345678901234567890, "min": -9223372036854775808 }
        """#

    @Test func parsesWhatJSONDecoderParses() throws {
        let parsed = try AnswerValue(json: Self.sample)
        let decoded = try JSONDecoder().decode(AnswerValue.self, from: Data(Self.sample.utf8))
        #expect(parsed == decoded)
        guard case .object(let members) = parsed else { Issue.record("not an object"); return }
        #expect(members["escapes"] == .string("a\"b\\c/d\n\r\t\u{08}\u{0C}é😀"))
        #expect(members["capital"] == .int(5_000_000))
        #expect(members["ratio"] == .decimal(-1.25))
        #expect(members["big"] == .decimal(1.2345678901234568e29))
        #expect(members["min"] == .int(.min))
    }

    @Test func writesWhatJSONEncoderWrites() throws {
        let value = try AnswerValue(json: Self.sample)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let ours = try JSONDecoder().decode(AnswerValue.self, from: Data(value.json))
        #expect(ours == value)
        #expect(String(decoding: AnswerValue.object(["b": .int(1), "a": .array([.null, .bool(true)])]).json, as: UTF8.self) == #"{"a":[null,true],"b":1}"#)
        #expect(String(decoding: AnswerValue.string("tab\there \u{01} \"q\" é/").json, as: UTF8.self) == #""tab\there \u0001 \"q\" é/""#)
        #expect(String(decoding: AnswerValue.decimal(.nan).json, as: UTF8.self) == "null")
        #expect(try encoder.encode(AnswerValue.object(["k": .string("v")])) == Data(AnswerValue.object(["k": .string("v")]).json))
    }

    @Test func randomTreesRoundTrip() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix64(seed: UInt64(seed))
            func node(depth: Int) -> AnswerValue {
                switch rng.next() % (depth > 3 ? 5 : 7) {
                case 0: return .null
                case 1: return .bool(rng.next() % 2 == 0)
                case 2: return .int(Int64(bitPattern: rng.next()))
                case 3: return .decimal(Double(Int64(rng.next() % (1 << 40)) - (1 << 39)) + 0.25)
                case 4: return .string(String((0..<Int(rng.next() % 12)).map { _ in Unicode.Scalar(UInt32(rng.next() % 0x3000)).map(Character.init) ?? "x" }))
                case 5: return .array((0..<Int(rng.next() % 4)).map { _ in node(depth: depth + 1) })
                default: return .object(Dictionary((0..<Int(rng.next() % 4)).map { _ in ("k\(rng.next() % 8)\u{0}\"", node(depth: depth + 1)) }, uniquingKeysWith: { $1 }))
                }
            }
            let value = node(depth: 0)
            let text = value.json
            let parsed = try? AnswerValue(json: text)
            #expect(parsed == value)
            let decoded = try? JSONDecoder().decode(AnswerValue.self, from: Data(text))
            #expect(decoded == value)
        }
    }

    @Test func numbersBeyondDoubleAreInfiniteAndWrittenAsNull() throws {
        #expect(try AnswerValue(json: "1e400") == .decimal(.infinity))
        #expect(String(decoding: try AnswerValue(json: "[1e400]").json, as: UTF8.self) == "[null]")
    }

    /// The reader is `JSONParser`, the feed lines' parser: its errors name the offset and what was expected.
    @Test(arguments: [
        ("", 0, "a value"),
        ("{} x", 3, "nothing after the value"),
        ("-", 1, "a digit"),
        ("1.", 2, "a digit after the decimal point"),
        (#""abc"#, 4, "the closing quote of a string"),
        ("\"a\u{01}\"", 2, "no control character inside a string"),
        (#""\ud83d""#, 7, "the low surrogate after a high surrogate"),
        ("[1 2]", 3, "',' or ']'"),
        ("{a:1}", 1, "a member name in quotes"),
    ])
    func refusesMalformedText(text: String, offset: Int, expected: String) {
        #expect(throws: JSONParser.SyntaxError(offset: offset, expected: expected)) { try AnswerValue(json: text) }
    }

    @Test func refusesNestingBeyondTheLimit() throws {
        let deep = String(repeating: "[", count: AnswerValue.maximumJSONDepth + 1) + String(repeating: "]", count: AnswerValue.maximumJSONDepth + 1)
        #expect(throws: JSONParser.SyntaxError.self) { try AnswerValue(json: deep) }
        let allowed = String(repeating: "[", count: AnswerValue.maximumJSONDepth) + String(repeating: "]", count: AnswerValue.maximumJSONDepth)
        #expect(try AnswerValue(json: allowed) != .null)
    }
}
