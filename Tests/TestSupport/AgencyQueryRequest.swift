import AsyncHTTPClient
import NIOCore

extension HTTPClientRequest {
    /// A credit agency's `POST /v1/queries` to `base` (`http://127.0.0.1:PORT` or `https://localhost:PORT`):
    /// its API key as the bearer token, `body` as JSON, and an `Idempotency-Key` if given.
    public static func agencyQuery(_ base: String, key: String, body: ByteBuffer, idempotencyKey: String? = nil) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: base + "/v1/queries")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "Content-Type", value: "application/json")
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        request.body = .bytes(body)
        return request
    }
}
