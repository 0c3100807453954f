internal import CLibCrypto

/// A failure of a national-algorithm operation: what was being done, and why, from OpenSSL's error
/// queue or from the input's check. Never carries the data or key operated on.
public struct GMCryptoError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// libcrypto refused or failed (the reasons are its error queue's).
        case library
        /// The input is not what the operation takes (a key of the wrong length or type, a malformed PEM).
        case invalidInput
        /// A sealed value's tag does not match: it was altered, or sealed under another key.
        case authenticationFailure
    }

    public let kind: Kind
    /// The operation, e.g. `SM2 signing`.
    public let operation: String
    public let reasons: [String]

    init(_ kind: Kind, _ operation: String, _ reasons: [String]) {
        self.kind = kind
        self.operation = operation
        self.reasons = reasons
    }

    public var description: String {
        reasons.isEmpty ? "\(operation) failed" : "\(operation) failed: \(reasons.joined(separator: "; "))"
    }

    /// A library failure with the reasons on this thread's OpenSSL error queue, which it empties.
    static func library(_ operation: String) -> GMCryptoError {
        GMCryptoError(.library, operation, OpenSSLErrorQueue.drain())
    }

    static func invalid(_ operation: String, _ reason: String) -> GMCryptoError {
        OpenSSLErrorQueue.clear()
        return GMCryptoError(.invalidInput, operation, [reason])
    }
}

/// OpenSSL's per-thread error queue. Every operation of this module is synchronous, so the errors
/// it reads are the ones its own calls left on the thread.
enum OpenSSLErrorQueue {
    static func clear() {
        ERR_clear_error()
    }

    /// The queued errors as OpenSSL words them (`error:…:reason`), oldest first; the queue is left empty.
    static func drain() -> [String] {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons
    }
}
