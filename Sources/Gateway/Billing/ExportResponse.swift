import Billing
import BrokerCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird

/// A usage export as an HTTP answer: written first to an anonymous temporary file (created 0600
/// and unlinked at once, so no other account can open it and nothing is left behind), hashed as
/// it is written, then streamed from that file with its exact length and digest (`Repr-Digest`,
/// RFC 9530) in the headers. However large the period, the process holds one page of events.
enum ExportResponse {
    /// Writes the export (`UsageExport.write`) and answers it as a download.
    static func make(
        _ export: UsageExport, partner: String, from: CivilDate, to: CivilDate, format: UsageExport.Format
    ) async throws -> (response: Response, manifest: UsageExport.Manifest) {
        let spool = try SpoolFile()
        let manifest = try await export.write(partner: partner, from: from, to: to, format: format) { chunk in
            try spool.append(chunk)
        }
        try spool.rewind()
        var headers: HTTPFields = [
            .contentType: format.contentType, .cacheControl: "no-store",
            .contentDisposition: #"attachment; filename="\#(manifest.file)""#,
        ]
        headers[.init("Repr-Digest")!] = "sha-256=:\(Self.base64(hex: manifest.sha256)):"
        let body = ResponseBody(contentLength: manifest.bytes) { writer in
            while let chunk = try spool.read(upTo: 1 << 16) {
                try await writer.write(ByteBuffer(bytes: chunk))
            }
            try await writer.finish(nil)
        }
        return (Response(status: .ok, headers: headers, body: body), manifest)
    }

    /// The manifest of an export, computed without keeping the export.
    static func manifest(
        _ export: UsageExport, partner: String, from: CivilDate, to: CivilDate, format: UsageExport.Format
    ) async throws -> UsageExport.Manifest {
        try await export.write(partner: partner, from: from, to: to, format: format) { _ in }
    }

    /// A manifest as the answer to `…/manifest` (its own JSON, `UsageExport.Manifest.json`).
    static func response(_ manifest: UsageExport.Manifest) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: manifest.json)))
    }

    /// The query's `format` (`csv` by default), or 400.
    static func format(_ request: Request) throws(Problem) -> UsageExport.Format {
        guard let text = request.uri.queryParameters.get("format") else { return .csv }
        guard let format = UsageExport.Format(rawValue: String(text)) else {
            throw .invalidRequest("format", "format must be csv or ndjson.")
        }
        return format
    }

    /// The query's `from` and `to` (both required days), checked as exports take them, or 400.
    static func period(_ request: Request) throws(Problem) -> (from: CivilDate, to: CivilDate) {
        guard let from = try request.date("from") else { throw .invalidRequest("from", "from is required: the first day (YYYY-MM-DD, China time).") }
        guard let to = try request.date("to") else { throw .invalidRequest("to", "to is required: the last day (YYYY-MM-DD, China time).") }
        do {
            try UsageExport.check(from: from, to: to)
        } catch {
            throw Problem(error)
        }
        return (from, to)
    }

    private static func base64(hex: String) -> String {
        Data([UInt8](hex: hex) ?? []).base64EncodedString()
    }
}

/// An anonymous temporary file: created with `mkstemp` (mode 0600) and unlinked at once; closed
/// when the last reference goes, whether or not its answer was ever streamed.
final class SpoolFile: Sendable {
    private let descriptor: Int32

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/credit-broker-export-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw Failure(description: "cannot create a temporary file (errno \(errno))") }
        unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    func append(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { throw Failure(description: "cannot write the temporary file (errno \(errno))") }
            offset += written
        }
    }

    func rewind() throws {
        guard lseek(descriptor, 0, SEEK_SET) == 0 else { throw Failure(description: "cannot rewind the temporary file (errno \(errno))") }
    }

    /// The next bytes, up to `count`; `nil` at the end.
    func read(upTo count: Int) throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        let read = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, count) }
        guard read >= 0 else { throw Failure(description: "cannot read the temporary file (errno \(errno))") }
        guard read > 0 else { return nil }
        return Array(buffer.prefix(read))
    }
}
