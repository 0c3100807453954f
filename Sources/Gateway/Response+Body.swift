import Hummingbird

extension Response {
    /// The whole body of a response the broker made itself (JSON and problems: small, in memory),
    /// copied out; the response keeps the same bytes as a body of known length.
    mutating func collectBody() async throws -> [UInt8] {
        let collected = CollectedBytes()
        try await body.write(CollectingWriter(collected: collected))
        body = .init(byteBuffer: ByteBuffer(bytes: collected.bytes))
        return collected.bytes
    }
}

private final class CollectedBytes {
    var bytes: [UInt8] = []
}

private struct CollectingWriter: ResponseBodyWriter {
    let collected: CollectedBytes

    func write(_ buffer: ByteBuffer) async throws {
        collected.bytes.append(contentsOf: buffer.readableBytesView)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
