import ArgumentParser
import BrokerCore
import Foundation
import SyntheticProvince

/// `credit-broker demo-data generate`: writes a synthetic Jiangsu as ingestible feed files.
struct DemoDataGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a deterministic synthetic province as feed files.",
        discussion: """
            Writes public.jsonl (public-platform records and status events, --source \
            jiangsu_public_credit), one CSV per market item (market.tax_paid.csv, …, \
            person.social_insurance.csv), manifest.json naming each file's --source, and with \
            --labels-sample K a labels.csv of true default probabilities and drawn defaults. \
            The same seed and as-of date always give the same bytes. Identifiers are valid but \
            synthetic; ID numbers of real people may coincide with them, so keep the output out of \
            production systems.
            """
    )

    @Option(help: "Organisations of every kind: enterprises, individual businesses, cooperatives, social organisations.")
    var enterprises: Int

    @Option(help: "Natural persons.")
    var persons: Int

    @Option(help: "PRNG seed.")
    var seed: UInt64

    @Option(help: "Output directory (created if missing; files in it are overwritten).")
    var out: String

    @Option(help: "Write labels.csv for this many organisations.")
    var labelsSample: Int = 0

    @Option(help: "The day the data describes, YYYY-MM-DD (default: today in China Standard Time).")
    var asOf: String?

    func validate() throws {
        guard enterprises >= 0, persons >= 0, labelsSample >= 0 else {
            throw ValidationError("--enterprises, --persons and --labels-sample must not be negative")
        }
        if let asOf, CivilDate(asOf) == nil {
            throw ValidationError("--as-of must be a date YYYY-MM-DD")
        }
    }

    func run() throws {
        let date = asOf.flatMap { CivilDate($0) } ?? .today()
        let generator = ProvinceGenerator(
            ProvinceConfiguration(seed: seed, organisations: enterprises, persons: persons, asOf: date))
        let start = ContinuousClock.now
        let manifest = try ProvinceWriter(generator: generator, labelsSample: labelsSample)
            .write(to: URL(fileURLWithPath: out, isDirectory: true))
        let elapsed = ContinuousClock.now - start
        let lines = manifest.lines.values.reduce(0, +)
        let seconds = elapsed / .seconds(1)
        print("wrote \(lines) lines in \(manifest.lines.count) files to \(out) in \(elapsed.text) "
            + "(\(Int(Double(lines) / max(seconds, 1e-9))) lines/s)")
    }
}
