import BrokerCore
import Foundation

/// Writes a generated province to a directory as ingestible feed files:
///
/// - `public.jsonl`: every public-platform record (organisations' and persons') with the status
///   events on them, each subject's events after its records;
/// - `<item>.csv` per market item (`market.tax_paid.csv`, …, `person.social_insurance.csv`);
/// - `manifest.json` (`ProvinceManifest`): file → catalog source, line counts;
/// - `labels.csv` when `labelsSample` > 0: `subject,default_probability,defaulted` for the first
///   `labelsSample` organisations.
///
/// Output streams: memory stays constant whatever the province's size.
public struct ProvinceWriter {
    public let generator: ProvinceGenerator
    public let labelsSample: Int

    /// The file with the labels.
    public static let labelsFile = "labels.csv"
    /// The manifest file.
    public static let manifestFile = "manifest.json"

    public init(generator: ProvinceGenerator, labelsSample: Int = 0) {
        self.generator = generator
        self.labelsSample = labelsSample
    }

    /// Writes every file into `directory` (created if missing) and returns the manifest.
    @discardableResult
    public func write(to directory: URL) throws -> ProvinceManifest {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let publicFile = try BufferedFile(name: SyntheticItem.publicFile, in: directory)
        var marketFiles: [SyntheticItem: BufferedFile] = [:]
        for item in SyntheticItem.allCases where !item.isPublic {
            let file = try BufferedFile(name: item.fileName, in: directory)
            file.appendHeader(FeedEncoder.csvHeader(for: item))
            marketFiles[item] = file
        }
        let labels = labelsSample > 0 ? try BufferedFile(name: Self.labelsFile, in: directory) : nil
        labels?.appendHeader("subject,default_probability,defaulted\n")

        func write(_ records: [SyntheticRecord], _ events: [StatusEvent]) throws {
            for record in records {
                if let file = marketFiles[record.item] {
                    try file.appendLine { FeedEncoder.appendCSVRow(record, to: &$0) }
                } else {
                    try publicFile.appendLine { FeedEncoder.appendJSONLine(record, to: &$0) }
                }
            }
            for event in events {
                try publicFile.appendLine { FeedEncoder.appendJSONLine(event, to: &$0) }
            }
        }
        for organisation in generator.organisations {
            try write(organisation.records, organisation.events)
            if let labels, organisation.index < labelsSample {
                let line = "\(organisation.code.rawValue),\(String(format: "%.6f", organisation.defaultProbability)),"
                    + (organisation.defaulted ? "1\n" : "0\n")
                try labels.appendLine { $0.append(contentsOf: line.utf8) }
            }
        }
        for person in generator.persons {
            try write(person.records, person.events)
        }

        let dataFiles = [publicFile] + SyntheticItem.allCases.compactMap { marketFiles[$0] }
        for file in dataFiles + [labels].compactMap({ $0 }) { try file.close() }
        let configuration = generator.configuration
        let manifest = ProvinceManifest(
            seed: configuration.seed, organisations: configuration.organisations, persons: configuration.persons,
            asOf: configuration.asOf.description,
            files: Dictionary(SyntheticItem.allCases.map { ($0.fileName, $0.source) }, uniquingKeysWith: { first, _ in first }),
            lines: Dictionary(uniqueKeysWithValues: dataFiles.map { ($0.name, $0.lines) }))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: directory.appendingPathComponent(Self.manifestFile))
        return manifest
    }
}
