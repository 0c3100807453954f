/// `manifest.json`: what was generated and which `--source` each file is ingested with.
public struct ProvinceManifest: Sendable, Hashable, Codable {
    public let seed: UInt64
    public let organisations: Int
    public let persons: Int
    /// The as-of date, `YYYY-MM-DD`.
    public let asOf: String
    /// File name → the catalog source that delivers it.
    public let files: [String: String]
    /// File name → data lines written (records and events, without CSV headers).
    public let lines: [String: Int]

    enum CodingKeys: String, CodingKey {
        case seed, organisations, persons, asOf = "as_of", files, lines
    }
}
