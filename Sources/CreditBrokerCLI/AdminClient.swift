import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Calls the admin API (`/admin/v1/…`) over mutual TLS with the admin's certificate.
struct AdminClient: Sendable {
    /// `https://host:port`.
    let base: String
    /// `host:port`, for messages.
    let endpoint: String
    let tls: TLSConfiguration

    struct Reply: Sendable {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: Data

        /// `Contract-Served-By: N/M` for people: how many of the live gateway processes serve the change.
        var servedBy: String? {
            guard let header = headers.first(name: "Contract-Served-By") else { return nil }
            let parts = header.split(separator: "/").compactMap { Int($0) }
            guard parts.count == 2 else { return "served by \(header) gateway processes" }
            let (serving, live) = (parts[0], parts[1])
            let line = "served by \(serving) of \(live) gateway process\(live == 1 ? "" : "es")"
            guard serving < live else { return line }
            return line + "; \(live - serving) did not confirm within 2 s (a process serves the change once it reads the contract ledger: check it if it stays behind)"
        }
    }

    /// A JSON object of strings, the body of the lifecycle steps (`{"reason": …}`).
    static func body(_ fields: [String: String?]) -> Data {
        (try? JSONEncoder().encode(fields.compactMapValues { $0 })) ?? Data("{}".utf8)
    }

    /// Sends one request to `/admin/v1/` + `path` (each component percent-encoded) and answers its
    /// 2xx reply; an error status, or no answer at all, is thrown as an `AdminFailure`.
    func send(
        _ method: HTTPMethod, _ path: [String], query: [(String, String?)] = [], body: Data? = nil, contentType: String = "application/json"
    ) async throws(AdminFailure) -> Reply {
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10), read: .seconds(120))
        )
        // A refused handshake is the answer: report it now rather than retry until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let pairs = query.compactMap { name, value in value.map { "\(name)=\(Self.encode($0))" } }
        var request = HTTPClientRequest(url: base + "/admin/v1/" + path.map(Self.encode).joined(separator: "/")
            + (pairs.isEmpty ? "" : "?" + pairs.joined(separator: "&")))
        request.method = method
        request.headers.add(name: "Accept", value: "application/json, application/problem+json")
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let reply: Reply
        do {
            let response = try await client.execute(request, timeout: .seconds(180))
            let bytes = try await response.body.collect(upTo: 16 << 20)
            reply = Reply(status: response.status, headers: response.headers, body: Data(bytes.readableBytesView))
        } catch {
            try? await client.shutdown()
            throw AdminFailure(unreachable: error, endpoint: endpoint)
        }
        try? await client.shutdown()
        guard (200..<300).contains(reply.status.code) else {
            throw .answered(status: reply.status, problem: try? JSONDecoder().decode(AdminAnswer.Problem.self, from: reply.body))
        }
        return reply
    }

    /// Percent-encodes everything but unreserved characters (so `+08:00` stays a plus sign).
    private static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .init(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? text
    }
}

/// Why an `admin` command failed, printed on standard error, with the exit code that says which kind.
enum AdminFailure: Error {
    /// Nothing was sent: a bad option, a certificate or key file missing or unreadable, a proposal file unreadable.
    case setup(String)
    /// No answer: the connection or the TLS handshake failed (the server's or the admin's certificate refused).
    case unreachable(String)
    /// The API answered with an error status, and the problem it sent if it sent one.
    case answered(status: HTTPResponseStatus, problem: AdminAnswer.Problem?)
    /// The API answered, but not with what the command reads.
    case unreadable(String)

    /// The exit codes `credit-broker admin --help` documents.
    static let refusedCode: Int32 = 1
    static let serverErrorCode: Int32 = 2
    static let unreachableCode: Int32 = 3
    static let setupCode: Int32 = 64

    var exitCode: Int32 {
        switch self {
        case .setup: Self.setupCode
        case .unreachable: Self.unreachableCode
        case .answered(let status, _): status.code < 500 ? Self.refusedCode : Self.serverErrorCode
        case .unreadable: Self.serverErrorCode
        }
    }

    /// The lines for standard error.
    var lines: [String] {
        switch self {
        case .setup(let message), .unreachable(let message), .unreadable(let message):
            return ["error: " + message]
        case .answered(let status, let problem?):
            return ["error: \(problem.title) (\(status.code)): \(problem.detail ?? status.reasonPhrase)"]
                + (problem.field.map { ["  field: \($0)"] } ?? [])
                + (problem.errors ?? []).map { "  \($0)" }
        case .answered(let status, nil):
            return ["error: the admin API answered \(status.code) \(status.reasonPhrase)"]
        }
    }

    /// The failure of a request that got no answer, named for an administrator.
    init(unreachable error: any Error, endpoint: String) {
        switch error {
        case is NIOSSLError, is BoringSSLError:
            self = .unreachable("TLS with \(endpoint) failed: \(Self.tlsReason(error))")
        case let error as NIOSSLExtraError:
            self = .unreachable("the certificate of \(endpoint) does not name the host of the URL (\(error))")
        case let error as HTTPClientError where error == .connectTimeout:
            self = .unreachable("no connection to \(endpoint) within 10 s")
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout:
            self = .unreachable("\(endpoint) did not answer in time")
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            self = .unreachable("\(endpoint) closed the connection: it refused the admin certificate, or it is not the admin listener")
        case let error as NIOConnectionError:
            let reason = error.connectionErrors.first.map { attempt in
                (attempt.error as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? "\(attempt.error)"
            } ?? "its name does not resolve"
            self = .unreachable("cannot connect to \(endpoint): \(reason)")
        default:
            self = .unreachable("no answer from \(endpoint): \(error)")
        }
    }

    /// What a TLS failure means, from BoringSSL's reason code (`…:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at …`).
    private static func tlsReason(_ error: any Error) -> String {
        let text = "\(error)"
        guard let range = text.range(of: "OPENSSL_internal:") else { return text }
        let code = String(text[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" })
        switch code {
        case "CERTIFICATE_VERIFY_FAILED":
            return "its certificate is not trusted (give --cacert: the CA that issued the admin listener's certificate)"
        case "WRONG_VERSION_NUMBER":
            return "it does not speak TLS there (is the URL the admin listener's?)"
        case "SSLV3_ALERT_CERTIFICATE_UNKNOWN", "TLSV1_ALERT_UNKNOWN_CA", "SSLV3_ALERT_BAD_CERTIFICATE", "TLSV1_ALERT_CERTIFICATE_REVOKED",
             "SSLV3_ALERT_CERTIFICATE_REVOKED", "SSLV3_ALERT_CERTIFICATE_EXPIRED", "TLSV1_CERTIFICATE_REQUIRED", "TLSV1_ALERT_ACCESS_DENIED":
            return "it refused the admin certificate (\(code)): not issued by its admin CA, expired, or revoked"
        default:
            return code
        }
    }
}
