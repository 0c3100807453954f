import CLibPQ
import Foundation

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
        guard let options = parsedOptions else { return nil }
        var parts = options.map { "\($0.key)='\(Self.escape($0.key == "dbname" ? databaseOverride ?? $0.value : $0.value))'" }
        if let databaseOverride, !options.contains(where: { $0.key == "dbname" }) {
            parts.append("dbname='\(Self.escape(databaseOverride))'")
        }
        return parts.joined(separator: " ")
    }

    /// Where the connection string points, for logs and errors: its host, port, database and user as
    /// libpq reads them, and nothing else: never the text itself, in which a typo (an `@` or a `%` in a
    /// password, spaces around `=`, an unclosed bracket) can leave the password anywhere, nor its
    /// other options. `the connection string (unreadable)` when libpq cannot read it.
    public var redacted: String {
        guard let options = parsedOptions else { return "the connection string (unreadable)" }
        let shown = options.filter { Self.shownKeys.contains($0.key) && !$0.value.isEmpty }
            .map { "\($0.key)=\($0.key == "dbname" ? databaseOverride ?? $0.value : $0.value)" }
        return scrubbed(shown.isEmpty ? "the default server" : shown.joined(separator: " "))
    }

    /// Text about this configuration (libpq's message on a failed connection, which may quote the
    /// connection string or a part of it) with every secret it could hold replaced by `***`: the
    /// password libpq reads, the password as written in a URL (everything between the user's `:` and
    /// the last `@`), the value after `password=` as written, and the whole connection string.
    public func scrubbed(_ text: String) -> String {
        var secrets: Set<String> = [connectionString]
        secrets.formUnion(parsedOptions?.filter { $0.key == "password" }.map(\.value) ?? [])
        if let authority = urlAuthority, let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
            secrets.insert(String(authority[authority.index(after: colon)..<at]))
        }
        if let keyword = connectionString.range(of: #"password\s*=\s*"#, options: .regularExpression) {
            let rest = connectionString[keyword.upperBound...]
            let value = rest.first == "'" ? rest.dropFirst().prefix { $0 != "'" } : rest.prefix { !$0.isWhitespace }
            secrets.insert(String(value))
        }
        var text = text
        for secret in secrets.filter({ !$0.isEmpty }).sorted(by: { $0.count > $1.count }) {
            text = text.replacingOccurrences(of: secret, with: "***")
        }
        return text
    }

    /// Why libpq would misread the connection string in a way that shows a secret, if it would: a
    /// URL with an `@` inside its user info (libpq ends the user info at the first `@`, so the rest of
    /// a password `p@ss…` becomes the host name, which its error then quotes).
    public var misreading: String? {
        guard let authority = urlAuthority, authority.count(where: { $0 == "@" }) > 1 else { return nil }
        return "the URL holds more than one '@' before its host: write an '@' in the user name or password as %40"
    }

    /// The options libpq reads from the connection string, in its order, those with a value only;
    /// `nil` when it cannot read it.
    private var parsedOptions: [(key: String, value: String)]? {
        guard let options = PQconninfoParse(connectionString, nil) else { return nil }
        defer { PQconninfoFree(options) }
        var parsed: [(key: String, value: String)] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { parsed.append((String(cString: keyword), String(cString: value))) }
            option += 1
        }
        return parsed
    }

    /// A URL's text between `://` and its path or query (user info and host), as written; `nil` for a
    /// key/value conninfo.
    private var urlAuthority: Substring? {
        guard let scheme = connectionString.range(of: "://") else { return nil }
        return connectionString[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" }
    }

    /// The conninfo keys `redacted` shows.
    private static let shownKeys: Set<String> = ["host", "hostaddr", "port", "dbname", "user"]

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
