import Foundation

/// An opaque position in one of the partner streams (the change feed, the alerts, the dispute feed).
///
/// On the wire: base64url without padding of a one-byte stream tag and the big-endian change
/// sequence number. Clients pass back what they received; anything else, including a cursor of
/// the other stream, is refused as a 400 problem on `since`.
struct FeedCursor: Sendable, Hashable {
    enum Stream: UInt8, Sendable {
        case changes = 0x63
        case alerts = 0x61
        /// A data source's dispute feed (`GET /v1/disputes`).
        case disputes = 0x64
    }

    let stream: Stream
    /// The last change sequence number delivered; 0 before the first.
    let sequence: Int64

    init(stream: Stream, sequence: Int64) {
        self.stream = stream
        self.sequence = sequence
    }

    /// The cursor a client sent for `stream`; the start when it sent none.
    init(_ text: String?, stream: Stream) throws(Problem) {
        guard let text else {
            self.init(stream: stream, sequence: 0)
            return
        }
        guard let sequence = Self.sequence(in: text, stream: stream) else {
            throw Problem(
                "invalid-cursor", title: "Invalid cursor", status: .badRequest,
                detail: "since must be a next_cursor this endpoint returned.", field: "since"
            )
        }
        self.init(stream: stream, sequence: sequence)
    }

    /// The cursor as the client sees it.
    var text: String {
        let bytes = [stream.rawValue] + (0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(sequence) >> ($0 * 8)) }
        return Data(bytes).base64URLEncoded
    }

    private static func sequence(in text: String, stream: Stream) -> Int64? {
        guard text.count == 12, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        guard let bytes = Data(base64URLEncoded: text), bytes.count == 9, bytes.first == stream.rawValue else { return nil }
        let value = bytes.dropFirst().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return value <= UInt64(Int64.max) ? Int64(value) : nil
    }
}
