import Foundation
import Hummingbird

/// JSON bodies encoded once, so that the receipt's digest covers exactly the bytes sent.
enum JSONResponse {
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// A 200 with the body and its `Broker-Receipt` header.
    static func response(_ body: Data, receipt: String) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[.init(Receipt.headerName)!] = receipt
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
