/// An error from PostgreSQL or from this client.
///
/// Server errors carry the SQLSTATE code, the primary message and the detail, as the server sent
/// them. Parameter values are never part of an error: libpq does not echo them, and this client
/// never adds them, so an error can be logged without leaking the data it was handling.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, broadly.
    public enum Kind: String, Sendable {
        /// Could not connect, or the connection broke.
        case connection
        /// The server rejected a statement (SQLSTATE set).
        case server
        /// A result could not be decoded into the requested Swift type.
        case decoding
        /// No pooled connection became free before the deadline.
        case poolTimeout
        /// The pool was shut down.
        case poolClosed
        /// The client was used wrongly (for example a COPY outside COPY mode).
        case usage
    }

    public var kind: Kind
    /// The five-character SQLSTATE, when the server sent one.
    public var sqlState: String?
    public var message: String
    public var detail: String?

    public init(_ kind: Kind, _ message: String, sqlState: String? = nil, detail: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
    }

    public var description: String {
        var text = "\(kind.rawValue) error"
        if let sqlState { text += " [\(sqlState)]" }
        text += ": \(message)"
        if let detail, !detail.isEmpty { text += " (\(detail))" }
        return text
    }
}
