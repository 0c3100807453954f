import CLibPQ

/// Where and how to connect: a libpq connection string.
///
/// Either a URL (`postgresql://user:secret@db.example:5432/broker?sslmode=verify-full`) or a
/// key/value conninfo (`host=/tmp/pg dbname=broker`). TLS to the server is libpq's `sslmode`
/// (`require`, `verify-ca`, `verify-full`) with `sslrootcert`, `sslcert` and `sslkey` as needed;
/// libpq does the TLS over libssl.
public struct PostgresConfiguration: Sendable, Hashable {
    public var connectionString: String
    /// A database name that replaces the one in `connectionString`.
    public var databaseOverride: String?
    /// Reported to the server as `application_name` (visible in `pg_stat_activity`).
    public var applicationName = "credit-broker"

    public init(_ connectionString: String) {
        self.connectionString = connectionString
    }

    /// A key/value conninfo for a server on a unix socket directory.
    public static func unixSocket(directory: String, database: String, user: String, port: Int = 5432) -> Self {
        Self("host='\(escape(directory))' port=\(port) dbname='\(escape(database))' user='\(escape(user))'")
    }

    /// The same server, another database (for creating and using per-test databases).
    public func database(_ name: String) -> Self {
        var copy = self
        copy.databaseOverride = name
        return copy
    }

    /// One key/value conninfo with `databaseOverride` applied, for handing to another program.
    /// Returns `nil` if libpq cannot parse the connection string.
    public var conninfo: String? {
        guard let options = PQconninfoParse(connectionString, nil) else { return nil }
        defer { PQconninfoFree(options) }
        var parts: [String] = []
        var option = options
        while let keyword = option.pointee.keyword {
            let key = String(cString: keyword)
            let value = key == "dbname" ? databaseOverride ?? option.pointee.val.map { String(cString: $0) }
                : option.pointee.val.map { String(cString: $0) }
            if let value { parts.append("\(key)='\(Self.escape(value))'") }
            option += 1
        }
        if databaseOverride != nil, !parts.contains(where: { $0.hasPrefix("dbname=") }) {
            parts.append("dbname='\(Self.escape(databaseOverride!))'")
        }
        return parts.joined(separator: " ")
    }

    /// The connection string with any password replaced, for logs and errors.
    public var redacted: String {
        var text = connectionString
        if let schemeEnd = text.range(of: "://"), let at = text[schemeEnd.upperBound...].firstIndex(of: "@") {
            let userInfo = text[schemeEnd.upperBound..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                text.replaceSubrange(text.index(after: colon)..<at, with: "***")
            }
        }
        if let range = text.range(of: "password=") {
            let end = text[range.upperBound...].firstIndex(of: " ") ?? text.endIndex
            text.replaceSubrange(range.upperBound..<end, with: "***")
        }
        return text
    }

    /// A value for inside single quotes in a conninfo: a backslash before every `\` and `'`.
    /// Scalar by scalar: `replacingOccurrences` compares Characters, and a quote carrying a combining
    /// mark is one Character with it, which it left unescaped.
    private static func escape(_ value: String) -> String {
        var escaped = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            if scalar == "\\" || scalar == "'" { escaped.append("\\") }
            escaped.append(scalar)
        }
        return String(escaped)
    }
}
