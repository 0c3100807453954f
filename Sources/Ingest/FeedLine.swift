import BrokerCore
import Formats
/// One feed line of either format, decoded into named values but not yet validated.
struct FeedLine {
    /// A value as delivered: a JSON value, or a CSV cell whose type the catalog field decides.
    enum Value {
        case json(JSONValue)
        case cell(String)

        /// Whether the value is null (JSON `null` or an empty CSV cell).
        var isNull: Bool {
            switch self {
            case .json(.null): true
            case .cell(let text): text.isEmpty
            default: false
            }
        }
    }

    /// Whether the line is a status event rather than a record.
    var isEvent: Bool
    /// The line's own keys (`item`, `subject`, dates, `event`, …), without `type` and `fields`.
    var members: [String: Value]
    /// The item's fields in delivery order.
    var fields: [(name: String, value: Value)]

    /// The keys a record line may have besides `type` and `fields`.
    static let recordKeys: Set<String> = ["item", "subject", "source_record_id", "decision_date", "publicity_start", "publicity_end"]
    /// The keys an event line may have besides `type`.
    static let eventKeys: Set<String> = ["event", "item", "subject", "source_record_id", "date"]

    /// A JSON Lines line: an object with `type` `record` (and `fields`) or `event`.
    init(json bytes: [UInt8]) throws(LineRejection) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw LineRejection("", error.description)
        }
        guard case .object(let topLevel) = value else { throw LineRejection("", "a line must be a JSON object") }
        var members: [String: Value] = [:]
        var fieldsValue: JSONValue?
        var type: JSONValue?
        for (key, member) in topLevel {
            let isRepeat: Bool
            switch key {
            case "type": isRepeat = type != nil; type = member
            case "fields": isRepeat = fieldsValue != nil; fieldsValue = member
            default: isRepeat = members.updateValue(.json(member), forKey: key) != nil
            }
            if isRepeat { throw LineRejection(Self.printable(key), "the key appears twice") }
        }
        switch type {
        case .string("record"): isEvent = false
        case .string("event"): isEvent = true
        case nil: throw LineRejection("type", "missing (record or event)")
        default: throw LineRejection("type", "must be \"record\" or \"event\"")
        }
        let allowed = isEvent ? Self.eventKeys : Self.recordKeys
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw LineRejection(Self.printable(unknown), "unknown key for a \(isEvent ? "event" : "record") line")
        }
        self.members = members
        switch (isEvent, fieldsValue) {
        case (true, nil):
            fields = []
        case (true, _?):
            throw LineRejection("fields", "unknown key for an event line")
        case (false, nil):
            throw LineRejection("fields", "missing")
        case (false, .object(let items)?):
            var seen: Set<String> = []
            fields = []
            for (name, field) in items {
                guard seen.insert(name).inserted else { throw LineRejection("fields." + Self.printable(name), "the field appears twice") }
                fields.append((name, .json(field)))
            }
        case (false, _?):
            throw LineRejection("fields", "must be a JSON object")
        }
    }

    /// A CSV record line under `header`: reserved columns become members, the others fields.
    init(header: [String], cells: [String]) throws(LineRejection) {
        guard cells.count == header.count else {
            throw LineRejection("", "has \(cells.count) cells, the header has \(header.count)")
        }
        isEvent = false
        members = [:]
        fields = []
        for (column, cell) in zip(header, cells) {
            if Self.recordKeys.contains(column) {
                members[column] = .cell(cell)
            } else {
                fields.append((column, .cell(cell)))
            }
        }
    }

    /// A key as it may appear in a reject report: cut short, so a stray value cannot ride along whole.
    static func printable(_ key: String) -> String {
        key.count <= 40 ? key : String(key.prefix(40)) + "…"
    }
}
