import BrokerCore
import Crypto
import Foundation

/// The console's forms carry a token bound to the officer's certificate and to the form's action:
/// HMAC-SHA-256, under a key this process drew at start, of the certificate's fingerprint, the
/// path the form posts to and the token's expiry. A page of another site cannot read one (the CSP,
/// no CORS), so it cannot forge a post even though the browser would present the certificate; a
/// token taken from one form or one officer is worth nothing on another.
///
/// The key lives in memory only: after a restart, or on another process of the broker, a form
/// must be loaded again (the refusal says so).
struct ConsoleCSRF: Sendable {
    /// How long a rendered form can be posted.
    static let lifetime: TimeInterval = 8 * 3600

    /// 32 random bytes (`SymmetricKey` is not `Sendable`).
    private let secret: [UInt8]

    init() {
        secret = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }

    /// The token for the officer `fingerprint` to post to `action`.
    func token(fingerprint: String, action: String, now: Date) -> String {
        let expiry = Int64(now.addingTimeInterval(Self.lifetime).timeIntervalSince1970)
        return "\(expiry).\(mac(fingerprint: fingerprint, action: action, expiry: expiry).lowercaseHex)"
    }

    /// Whether `token` was issued by this process to `fingerprint` for `action` and has not expired.
    func isValid(_ token: String?, fingerprint: String, action: String, now: Date) -> Bool {
        guard let token, token.utf8.count <= 100 else { return false }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let expiry = Int64(parts[0]), Double(expiry) > now.timeIntervalSince1970 else { return false }
        let expected = Array(mac(fingerprint: fingerprint, action: action, expiry: expiry).lowercaseHex.utf8)
        let given = Array(parts[1].utf8)
        guard given.count == expected.count else { return false }
        // Every byte compared, whatever differs first.
        return zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private func mac(fingerprint: String, action: String, expiry: Int64) -> HashedAuthenticationCode<SHA256> {
        HMAC<SHA256>.authenticationCode(for: message(fingerprint: fingerprint, action: action, expiry: expiry), using: SymmetricKey(data: secret))
    }

    private func message(fingerprint: String, action: String, expiry: Int64) -> Data {
        Data("credit-broker console form\n\(fingerprint)\n\(action)\n\(expiry)".utf8)
    }
}
