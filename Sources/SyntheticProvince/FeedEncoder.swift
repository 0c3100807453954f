import BrokerCore
import Formats

/// Renders records and events as the bytes of feed lines (JSON Lines and CSV, see briefs/feeds.md),
/// appending to a buffer without intermediate strings.
enum FeedEncoder {
    /// `{"type":"record","item":…,"subject":…,"source_record_id":…,[dates,]"fields":{…}}` and a newline.
    static func appendJSONLine(_ record: SyntheticRecord, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: #"{"type":"record","item":""#.utf8)
        buffer.append(contentsOf: record.item.rawValue.utf8)
        buffer.append(contentsOf: #"","subject":""#.utf8)
        buffer.append(contentsOf: record.subject.utf8)
        buffer.append(contentsOf: #"","source_record_id":"#.utf8)
        JSONString.write(record.sourceRecordID, to: &buffer)
        for (key, date) in [("decision_date", record.decisionDate), ("publicity_start", record.publicityStart),
                            ("publicity_end", record.publicityEnd)] {
            guard let date else { continue }
            buffer.append(contentsOf: #",""#.utf8)
            buffer.append(contentsOf: key.utf8)
            buffer.append(contentsOf: #"":""#.utf8)
            appendDate(date, to: &buffer)
            buffer.append(UInt8(ascii: "\""))
        }
        buffer.append(contentsOf: #","fields":{"#.utf8)
        for (position, (name, value)) in zip(record.item.fieldNames, record.values).enumerated() {
            if position > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer.append(UInt8(ascii: "\""))
            buffer.append(contentsOf: name.utf8)
            buffer.append(contentsOf: #"":"#.utf8)
            appendJSONValue(value, to: &buffer)
        }
        buffer.append(contentsOf: "}}\n".utf8)
    }

    /// `{"type":"event","event":…,"item":…,"subject":…,"source_record_id":…,"date":…}` and a newline.
    static func appendJSONLine(_ event: StatusEvent, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: #"{"type":"event","event":""#.utf8)
        buffer.append(contentsOf: event.kind.rawValue.utf8)
        buffer.append(contentsOf: #"","item":""#.utf8)
        buffer.append(contentsOf: event.item.rawValue.utf8)
        buffer.append(contentsOf: #"","subject":""#.utf8)
        buffer.append(contentsOf: event.subject.utf8)
        buffer.append(contentsOf: #"","source_record_id":"#.utf8)
        JSONString.write(event.sourceRecordID, to: &buffer)
        buffer.append(contentsOf: #","date":""#.utf8)
        appendDate(event.date, to: &buffer)
        buffer.append(contentsOf: "\"}\n".utf8)
    }

    /// The header of an item's CSV file: item, subject, source_record_id, its date columns, its fields.
    static func csvHeader(for item: SyntheticItem) -> String {
        (["item", "subject", "source_record_id"] + item.dateColumns + item.fieldNames).joined(separator: ",") + "\n"
    }

    /// One CSV row in the column order of `csvHeader(for:)`.
    static func appendCSVRow(_ record: SyntheticRecord, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: record.item.rawValue.utf8)
        buffer.append(UInt8(ascii: ","))
        buffer.append(contentsOf: record.subject.utf8)
        buffer.append(UInt8(ascii: ","))
        CSV.appendField(record.sourceRecordID, to: &buffer)
        for column in record.item.dateColumns {
            buffer.append(UInt8(ascii: ","))
            let date = switch column {
            case "decision_date": record.decisionDate
            case "publicity_start": record.publicityStart
            default: record.publicityEnd
            }
            if let date { appendDate(date, to: &buffer) }
        }
        for value in record.values {
            buffer.append(UInt8(ascii: ","))
            switch value {
            case .text(let text): CSV.appendField(text, to: &buffer)
            case .null: break
            default: appendBareValue(value, to: &buffer)
            }
        }
        buffer.append(UInt8(ascii: "\n"))
    }

    // MARK: Values

    private static func appendJSONValue(_ value: FieldValue, to buffer: inout [UInt8]) {
        switch value {
        case .text(let text): JSONString.write(text, to: &buffer)
        case .null: buffer.append(contentsOf: "null".utf8)
        case .date, .month:
            buffer.append(UInt8(ascii: "\""))
            appendBareValue(value, to: &buffer)
            buffer.append(UInt8(ascii: "\""))
        default: appendBareValue(value, to: &buffer)
        }
    }

    /// Numbers, booleans, dates and months as they appear in both formats (without quotes).
    private static func appendBareValue(_ value: FieldValue, to buffer: inout [UInt8]) {
        switch value {
        case .int(let number): appendInteger(number, to: &buffer)
        case .decimal(let hundredths):
            if hundredths < 0 { buffer.append(UInt8(ascii: "-")) }
            let magnitude = hundredths.magnitude
            appendInteger(Int(magnitude / 100), to: &buffer)
            buffer.append(UInt8(ascii: "."))
            appendDigits(Int(magnitude % 100), width: 2, to: &buffer)
        case .bool(let flag): buffer.append(contentsOf: (flag ? "true" : "false").utf8)
        case .date(let date): appendDate(date, to: &buffer)
        case .month(let year, let month):
            appendDigits(year, width: 4, to: &buffer)
            buffer.append(UInt8(ascii: "-"))
            appendDigits(month, width: 2, to: &buffer)
        case .text, .null: break
        }
    }

    private static func appendDate(_ date: CivilDate, to buffer: inout [UInt8]) {
        let (year, month, day) = date.components
        appendDigits(year, width: 4, to: &buffer)
        buffer.append(UInt8(ascii: "-"))
        appendDigits(month, width: 2, to: &buffer)
        buffer.append(UInt8(ascii: "-"))
        appendDigits(day, width: 2, to: &buffer)
    }

    private static func appendInteger(_ value: Int, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: String(value).utf8)
    }

    /// `value` (non-negative) zero-padded to `width` digits.
    private static func appendDigits(_ value: Int, width: Int, to buffer: inout [UInt8]) {
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
        var rest = value
        var position = start + width - 1
        while rest > 0, position >= start {
            buffer[position] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
            position -= 1
        }
    }
}
