/// Why a whole ingest run (not one line) cannot go on.
public enum IngestError: Error, Sendable, Hashable, CustomStringConvertible {
    case cannotOpen(path: String)
    /// The file's extension is neither `.jsonl` nor `.csv`.
    case unsupportedFormat(path: String)
    /// `--source` names no source of the catalog.
    case unknownSource(String)
    /// The CSV header lacks a required column or repeats one.
    case badHeader(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path): "\(path): cannot open the file"
        case .unsupportedFormat(let path): "\(path): unsupported feed format (expected .jsonl or .csv)"
        case .unknownSource(let source): "unknown source '\(source)': it must be a key of sources: in the catalog"
        case .badHeader(let path, let reason): "\(path): line 1 (CSV header): \(reason)"
        }
    }
}
