import BrokerCore
import Formats
import Scoring
import SyntheticProvince

/// The organisations of a synthetic province as scoring data, without ingest: each one's records
/// filtered as the record store would filter them on the province's as-of day (status events
/// applied, the catalog's disclosure rules checked), fused with every item available, beside the
/// generator's true default probability and drawn outcome.
public struct ProvinceScoringData: Sendable {
    /// The outcome column of ``table``: `1` for a default.
    public static let target = "default_flag"

    public let features: [FusedFeatures]
    public let defaultProbabilities: [Double]
    public let defaulted: [Bool]

    /// Organisations `indices` of `generator`'s province, disclosed per `catalog`.
    public init(generator: ProvinceGenerator, organisations indices: Range<Int>, catalog: Catalog) {
        let day = generator.configuration.asOf
        let everything = Set(catalog.items.map(\.id))
        var features: [FusedFeatures] = []
        var probabilities: [Double] = []
        var defaulted: [Bool] = []
        for index in indices {
            let organisation = generator.organisation(at: index)
            let records = Self.disclosableRecords(of: organisation, catalog: catalog, on: day)
            features.append(FeatureFusion.features(of: records, available: everything, on: day))
            probabilities.append(organisation.defaultProbability)
            defaulted.append(organisation.defaulted)
        }
        self.features = features
        defaultProbabilities = probabilities
        self.defaulted = defaulted
    }

    /// Whether an organisation has monthly market data (a tax trend needs two years of it).
    public static func hasMarketData(_ features: FusedFeatures) -> Bool { features[.taxTrend] != .missing }

    /// Every fusion feature (header `FusionFeature` names) and the ``target`` column.
    public var table: CSVTable {
        let rows = zip(features, defaulted).map { $0.csvCells + [$1 ? "1" : "0"] }
        return CSVTable(header: FusionFeature.allCases.map(\.rawValue) + [Self.target], rows: rows, lines: Array(2 ..< rows.count + 2))
    }

    /// The organisation's records that the store would disclose on `day`, as fusion input.
    public static func disclosableRecords(of organisation: SyntheticOrganisation, catalog: Catalog, on day: CivilDate) -> [FusionRecord] {
        var statuses: [String: RecordStatus] = [:]
        for event in organisation.events.sorted(by: { $0.date < $1.date }) where event.date <= day {
            statuses[event.sourceRecordID] = switch event.kind {
            case .repaired: .repaired
            case .withdrawn: .withdrawn
            case .disputed: .disputed
            case .disputeResolved: .active
            }
        }
        return organisation.records.compactMap { record in
            guard let item = catalog.item(record.item.rawValue) else { return nil }
            let fields = record.answerFields
            let facts = RecordDisclosureFacts(
                status: statuses[record.sourceRecordID] ?? .active, decisionDate: record.decisionDate,
                publicityStart: record.publicityStart, publicityEnd: record.publicityEnd, fields: fields)
            guard catalog.disclosure(of: facts, item: item, on: day).isDisclosed else { return nil }
            return FusionRecord(
                item: item.id, fields: fields, decisionDate: record.decisionDate,
                publicityStart: record.publicityStart, publicityEnd: record.publicityEnd)
        }
    }
}
