import Formats
import Testing

/// The one JSON string writer, and what `JSONParser` reads back from it.
struct JSONStringTests {
    @Test func quotesBackslashesAndControlCharactersAreEscapedAndTheRestIsKept() {
        #expect(JSONString.quoted("a\"b\\c") == #""a\"b\\c""#)
        #expect(JSONString.quoted("line\nnext\r\ttab") == #""line\nnext\r\ttab""#)
        #expect(JSONString.quoted("\u{1}\u{1F}") == #""\u0001\u001f""#)
        #expect(JSONString.quoted("南京市玄武区 / é") == "\"南京市玄武区 / é\"")
        #expect(JSONString.quoted("") == #""""#)
    }

    @Test func whatItWritesReadsBackAsTheSameText() throws {
        for text in ["", "plain", "引号\"和\\反斜杠", "\n\r\t\u{0}\u{7F}", "emoji 🧾 and ©"] {
            var bytes: [UInt8] = []
            JSONString.write(text, to: &bytes)
            #expect(try JSONParser.parse(bytes) == .string(text))
        }
    }
}
