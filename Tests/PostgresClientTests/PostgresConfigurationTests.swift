import NIOPosix
import PostgresClient
import Testing

/// A configuration handed on as a key/value conninfo (to pg_dump, pgbench, a second process) keeps
/// every value whole, whatever characters it holds.
@Suite struct PostgresConfigurationTests {
    /// A quote or a backslash carrying a combining mark is one `Character` with the mark: escaping by
    /// `replacingOccurrences(of: "'", …)`, which compares Characters, left it unescaped, and the
    /// conninfo ended the value at that quote (libpq then refused the rest).
    @Test func conninfoEscapesEveryQuoteAndBackslash() throws {
        for password in ["pa'ss", "pa\\ss", "pa'\u{301}ss", "\\\u{301}", "密码'\u{301}", "' host=elsewhere"] {
            let encoded = try #require(password.addingPercentEncodingForURLUserInfo())
            let configuration = PostgresConfiguration("postgresql://broker:\(encoded)@/broker?host=/tmp/pg")
            let conninfo = try #require(configuration.conninfo)
            // Parsed again, it is the same conninfo: the password came through whole and alone.
            #expect(PostgresConfiguration(conninfo).conninfo == conninfo, "\(Array(password.unicodeScalars))")
            #expect(!conninfo.contains("host='elsewhere'"))
        }
        let socket = PostgresConfiguration.unixSocket(directory: "/tmp/it's\u{301}", database: "d'\u{301}", user: "u\\\u{301}")
        let conninfo = try #require(socket.conninfo)
        #expect(PostgresConfiguration(conninfo).conninfo == conninfo)
    }

    /// A failed connection's error names the server and never any part of the password, however the
    /// connection string was mistyped. Before, only the first `password=` up to a space and a URL's
    /// user info up to its first `@` were masked, and libpq's own message (which quotes the string or
    /// a part of it) was printed as it came.
    @Test func aFailedConnectionsErrorHoldsNoPartOfThePassword() async throws {
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        let cases: [(String, [String])] = [
            ("host=127.0.0.1 port=1 user=broker password = S3cretSp dbname=x", ["S3cretSp"]),
            ("host=127.0.0.1 port=1 password='S3cret quoted' dbname=x", ["S3cret", "quoted"]),
            ("postgresql://broker:S3cret%zzPass@127.0.0.1:1/broker", ["S3cret", "zzPass"]),
            ("postgresql://broker:S3cretPass@[::1/broker", ["S3cretPass"]),
            ("postgresql://broker:p@ssS3cret@127.0.0.1:1/broker", ["ssS3cret", "p@ss"]),
            ("postgresql://broker:Plain5ecret@127.0.0.1:1/broker", ["Plain5ecret"]),
        ]
        for (url, secrets) in cases {
            let error = await #expect(throws: PostgresError.self) {
                try await PostgresConnection.connect(PostgresConfiguration(url), on: threadPool)
            }
            let shown = "\(error.map { String(describing: $0) } ?? "")"
            #expect(shown.contains("cannot connect"), "\(shown)")
            for secret in secrets { #expect(!shown.contains(secret), "\(secret) in \(shown)") }
        }
        #expect(PostgresConfiguration("postgresql://broker:Plain5ecret@db.example:5433/broker?sslmode=require").redacted
            == "user=broker dbname=broker host=db.example port=5433")
        try await threadPool.shutdownGracefully()
    }
}

extension String {
    /// Percent-encodes all but unreserved characters (RFC 3986), as a URL's user info needs.
    fileprivate func addingPercentEncodingForURLUserInfo() -> String? {
        var encoded = ""
        for byte in utf8 {
            if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || "-._~".utf8.contains(byte) {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded
            }
        }
        return encoded
    }

    fileprivate var leftPadded: String { count == 1 ? "0" + self : self }
}
