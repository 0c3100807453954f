/// One bound parameter as it travels to the server: NULL, text format, or binary format.
public enum PostgresParameter: Sendable, Hashable {
    case null
    case text(String)
    /// Raw bytes sent in binary format (used for `bytea`).
    case binary([UInt8])
}

/// The parameters of one statement, in `$1, $2, …` order.
public struct PostgresBindings: Sendable, Hashable, ExpressibleByArrayLiteral {
    public private(set) var parameters: [PostgresParameter] = []

    public init() {}

    public init(arrayLiteral elements: (any PostgresEncodable)?...) {
        for element in elements { append(element) }
    }

    public var count: Int { parameters.count }

    /// Appends a value; `nil` binds SQL NULL.
    public mutating func append(_ value: (any PostgresEncodable)?) {
        parameters.append(value?.postgresParameter ?? .null)
    }

    /// The text of every text parameter, for scrubbing server messages that echo input.
    var textValues: [String] {
        parameters.compactMap { if case .text(let text) = $0 { text } else { nil } }
    }
}
