import Hummingbird

extension Response {
    /// The whole body of a response the broker made itself (JSON and problems: small, in memory),
    /// copied out; the response keeps the same bytes as a body of known length.
    mutating func collectBody() async throws -> ByteBuffer {
        let collected = CollectedBytes()
        try await body.write(CollectingWriter(collected: collected))
        body = .init(byteBuffer: collected.buffer)
        return collected.buffer
    }
}

private final class CollectedBytes {
    var buffer = ByteBuffer()
}

private struct CollectingWriter: ResponseBodyWriter {
    let collected: CollectedBytes

    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        collected.buffer.writeBuffer(&buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
