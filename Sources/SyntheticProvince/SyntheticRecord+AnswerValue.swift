import BrokerCore

extension SyntheticRecord {
    /// The record's fields as the record store returns them: dates and months as text, decimals
    /// as numbers, empty optional fields null.
    public var answerFields: [String: AnswerValue] {
        var fields: [String: AnswerValue] = [:]
        for (name, value) in zip(item.fieldNames, values) {
            switch value {
            case let .text(text): fields[name] = .string(text)
            case let .int(number): fields[name] = .int(Int64(number))
            case let .decimal(hundredths): fields[name] = .decimal(Double(hundredths) / 100)
            case let .bool(flag): fields[name] = .bool(flag)
            case let .date(date): fields[name] = .string(date.description)
            case let .month(year, month): fields[name] = .string("\(year)-\(month < 10 ? "0" : "")\(month)")
            case .null: fields[name] = .null
            }
        }
        return fields
    }
}
