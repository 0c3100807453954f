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

extension PostgresError.Kind {
    /// What a failed statement's result says went wrong: the server's refusal of the statement, or
    /// the connection's end. The session has ended when libpq reports the connection bad, when the
    /// server sent class 08 (connection exception) or 57P01–57P05 (shutting down, crashed, starting),
    /// and when the result has no SQLSTATE at all: the server sends one with every error, so an
    /// error without one is libpq's own, about the connection ("server closed the connection
    /// unexpectedly" during an immediate shutdown, seen while libpq still reported the connection
    /// good, which answered 500 instead of 503).
    static func ofFailedResult(sqlState: String?, connectionOK: Bool) -> Self {
        guard connectionOK, let sqlState else { return .connection }
        return sqlState.hasPrefix("08") || sqlState.hasPrefix("57P0") ? .connection : .server
    }
}

extension PostgresError {
    /// Whether the error says the database cannot serve now (no connection, the server shutting
    /// down, starting or out of connections, no pooled connection in time) rather than that a
    /// statement was wrong: the same request may succeed later.
    public var isUnavailability: Bool {
        switch kind {
        case .connection, .poolTimeout, .poolClosed:
            return true
        case .server:
            // 08: connection exception; 57P01–57P05: shutting down, crashed, starting, idle timeout;
            // 53: insufficient resources (too many connections, out of memory or disk).
            guard let sqlState else { return false }
            return sqlState.hasPrefix("08") || sqlState.hasPrefix("57P") || sqlState.hasPrefix("53")
        case .decoding, .usage:
            return false
        }
    }

    /// The error with every occurrence of a bound value removed from message and detail.
    ///
    /// The server echoes input in some messages (`invalid input syntax for type integer: "…"`,
    /// `Key (code)=(…) already exists.`); a parameter may be personal data, so it never
    /// reaches an error, a log line or a response.
    func scrubbing(_ values: [String]) -> PostgresError {
        var copy = self
        copy.message = Self.scrub(message, values)
        copy.detail = detail.map { Self.scrub($0, values) }
        return copy
    }

    /// Works on the UTF-8 bytes: Swift's string search compares Characters, and a marker or a value
    /// whose last character joins the next one in the message (a combining mark after `(` or after
    /// the value) is no whole Character there, so it would not be found.
    private static func scrub(_ text: String, _ values: [String]) -> String {
        var bytes = Array(text.utf8)
        let ellipsis = Array("…".utf8)
        // Key (a, b)=(v1, v2) … and Failing row contains (…): the server's own value echoes.
        for marker in [")=(", "Failing row contains ("] {
            if let start = bytes.firstRange(of: marker.utf8)?.upperBound, let close = bytes[start...].lastIndex(of: UInt8(ascii: ")")) {
                bytes.replaceSubrange(start..<close, with: ellipsis)
            }
        }
        // From three bytes up: a two-character name ("李四", six bytes) is personal data too.
        for value in values where value.utf8.count >= 3 {
            bytes.replace(Array(value.utf8), with: ellipsis)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
