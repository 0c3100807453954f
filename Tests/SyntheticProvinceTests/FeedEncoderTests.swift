import BrokerCore
import Testing
@testable import SyntheticProvince

/// Feed lines write strings as answers do (one JSON string writer): a line break in a penalty's
/// violation text is `\n`, as `JSONParser` and every other writer of the broker have it. Before,
/// the feed encoder had its own writer, which wrote `\u000a`.
struct FeedEncoderTests {
    @Test func aFeedLineEscapesTextAsTheAnswersDo() {
        let record = SyntheticRecord(
            .penalty, subject: "91320102MA1XXXXX0X", id: "PEN-\"1\"",
            values: [.text("苏宁罚〔2026〕1号"), .text("南京市市场监督管理局"), .text("第一行\n第二行"), .text("罚款"), .text("1000"), .text("general")]
        )
        var line: [UInt8] = []
        FeedEncoder.appendJSONLine(record, to: &line)
        let text = String(decoding: line, as: UTF8.self)
        #expect(text.contains(#""source_record_id":"PEN-\"1\"""#))
        #expect(text.contains(#""violation":"第一行\n第二行""#), "\(text)")
        #expect(!text.contains(#"\u000a"#))
    }
}
