import ArgumentParser
import BrokerCore
import Formats
import Foundation
import Scoring
import ScoringValidation
import SyntheticProvince

/// `credit-broker score province-data`: fused features of a synthetic province, for training.
struct ScoreProvinceDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "province-data",
        abstract: "Write a synthetic province's organisations as fused scoring features (CSV).",
        discussion: """
            Generates the organisations of a synthetic province, keeps the records the store \
            would disclose on the as-of day, fuses them with every item available, and writes one \
            row per organisation: the fusion features and default_flag (1 = the generator drew a \
            default). Train a card on it with `score train DATA.csv --target default_flag --fusion`.
            """
    )

    @Option(help: "Organisations to generate (indices 0 ..< N).")
    var organisations = 200_000
    @Option(help: "PRNG seed of the province.")
    var seed: UInt64 = 11
    @Option(help: "The day the data describes, YYYY-MM-DD.")
    var asOf = "2026-11-26"
    @Option(help: "The data catalog.")
    var catalog = "Policies/catalog.yaml"
    @Option(help: "Where to write the CSV.")
    var out: String

    func validate() throws {
        guard organisations > 0 else { throw ValidationError("--organisations must be positive") }
        guard CivilDate(asOf) != nil else { throw ValidationError("--as-of must be a date YYYY-MM-DD") }
    }

    func run() throws {
        let catalog: Catalog
        do {
            catalog = try Catalog(yaml: ScoreCommand.read(self.catalog), file: self.catalog, knownMaskRules: nil)
        } catch let error as PolicyError {
            throw ScoreCommand.Failure(description: "\(error)")
        }
        let generator = ProvinceGenerator(
            ProvinceConfiguration(seed: seed, organisations: organisations, persons: 0, asOf: CivilDate(asOf)!))
        let table = ProvinceScoringData(generator: generator, organisations: 0..<organisations, catalog: catalog).table
        do {
            try table.text.write(toFile: out, atomically: true, encoding: .utf8)
        } catch {
            throw ScoreCommand.Failure(description: "cannot write \(out): \(error.localizedDescription)")
        }
        print("wrote \(out): \(table.rows.count) organisations, \(table.header.count - 1) features")
    }
}
