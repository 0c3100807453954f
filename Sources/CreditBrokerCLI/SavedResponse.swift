import Foundation

/// A response saved to a file: with its status line and headers (`curl -si`, or the headers alone
/// as `curl -D` writes them) or the body alone (`curl -o`).
struct SavedResponse {
    /// The header fields, in order; `nil` when the file does not start with a status line.
    let headers: [(name: String, value: String)]?
    /// What follows the first blank line (CRLF or LF), or the whole file when it has no headers.
    let body: Data

    init(_ saved: Data) {
        guard saved.starts(with: Array("HTTP/".utf8)) else {
            headers = nil
            body = saved
            return
        }
        let bytes = [UInt8](saved)
        var fields: [(String, String)] = []
        var lineStart = 0
        var index = 0
        while index < bytes.count {
            guard bytes[index] == 0x0a else {
                index += 1
                continue
            }
            var line = String(decoding: bytes[lineStart..<index], as: UTF8.self)
            if line.hasSuffix("\r") { line.removeLast() }
            index += 1
            if line.isEmpty { break }
            let parts = line.split(separator: ":", maxSplits: 1)
            if lineStart > 0, parts.count == 2 { fields.append((String(parts[0]), parts[1].trimmingCharacters(in: .whitespaces))) }
            lineStart = index
        }
        headers = fields
        body = Data(bytes[min(index, bytes.count)...])
    }

    /// The last value of the header `name` (case-insensitive).
    func header(_ name: String) -> String? {
        headers?.last { $0.name.lowercased() == name.lowercased() }?.value
    }
}
