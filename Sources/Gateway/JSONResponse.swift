import Foundation
import Hummingbird

/// JSON bodies as the broker writes them (sorted keys, slashes unescaped), encoded once, so that a
/// receipt's digest covers exactly the bytes sent.
enum JSONResponse {
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// `value` as a JSON answer that discloses nothing, so carries no receipt (an answer that
    /// discloses is a `DisclosedAnswer`).
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encode(value))))
    }
}
