import BrokerCore
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
            let parsed = try? text.withUnsafeBytes { try AnswerValue(json: $0) }
            #expect(parsed == value)
            let decoded = try? JSONDecoder().decode(AnswerValue.self, from: Data(text))
            #expect(decoded == value)
        }
    }

    @Test(arguments: [
        ("", "the text ends where a value should start"),
        ("{} x", "unexpected text after the value"),
        ("01", "unexpected text after the value"),
        ("-", "a digit must follow '-'"),
        ("1.", "a digit must follow the decimal point"),
        ("1e+", "a digit must follow the exponent"),
        ("1e400", "the number is out of range"),
        (#""abc"#, "the text ends inside a string"),
        ("\"a\u{01}\"", "a control character must be escaped in a string"),
        (#""\x""#, "unknown escape"),
        (#""\u12g4""#, "a \\u escape needs four hex digits"),
        (#""\ud83d""#, "a high surrogate must be followed by a low one"),
        (#""\ude00""#, "\\u escape of a lone surrogate"),
        ("[1,]", "a value cannot start here"),
        ("[1 2]", "expected ','"),
        (#"{"a" 1}"#, "expected ':'"),
        ("{a:1}", "expected a member name in quotes"),
        ("tru", "expected true"),
        ("nul", "expected null"),
    ])
    func refusesMalformedText(text: String, reason: String) {
        #expect(throws: AnswerValue.JSONError.self) { try AnswerValue(json: text) }
        do {
            _ = try AnswerValue(json: text)
        } catch {
            #expect(error.reason == reason, "for \(text.debugDescription)")
        }
    }

    @Test func refusesNestingBeyondTheLimit() throws {
        let deep = String(repeating: "[", count: AnswerValue.maximumJSONDepth + 1) + String(repeating: "]", count: AnswerValue.maximumJSONDepth + 1)
        #expect(throws: AnswerValue.JSONError.self) { try AnswerValue(json: deep) }
        let allowed = String(repeating: "[", count: AnswerValue.maximumJSONDepth) + String(repeating: "]", count: AnswerValue.maximumJSONDepth)
        #expect(try AnswerValue(json: allowed) != .null)
    }
}
