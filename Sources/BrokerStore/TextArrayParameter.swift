import PostgresClient

/// A list of strings bound as one `text[]` parameter (for `= ANY($n)`), in PostgreSQL's array
/// literal form with every element quoted.
public struct TextArrayParameter: PostgresEncodable {
    public let elements: [String]

    public init(_ elements: [String]) {
        self.elements = elements
    }

    public var postgresParameter: PostgresParameter {
        var text = "{"
        for (position, element) in elements.enumerated() {
            if position > 0 { text += "," }
            text += "\""
            for character in element {
                if character == "\"" || character == "\\" { text += "\\" }
                text.append(character)
            }
            text += "\""
        }
        return .text(text + "}")
    }
}
