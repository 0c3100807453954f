import BrokerCore
import Formats
import Foundation
import Testing
@testable import SyntheticProvince

@Suite struct ProvinceWriterTests {
    static let asOf = CivilDate(year: 2026, month: 11, day: 26)!

    static func write(seed: UInt64, labels: Int = 0) throws -> (URL, ProvinceManifest) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("province-\(UUID().uuidString)")
        let generator = ProvinceGenerator(ProvinceConfiguration(seed: seed, organisations: 800, persons: 300, asOf: asOf))
        return (directory, try ProvinceWriter(generator: generator, labelsSample: labels).write(to: directory))
    }

    static func contents(of directory: URL) throws -> [String: Data] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        return try Dictionary(uniqueKeysWithValues: names.map { ($0, try Data(contentsOf: directory.appendingPathComponent($0))) })
    }

    @Test func sameSeedWritesIdenticalBytesAndAnotherSeedDifferentOnes() throws {
        let (first, _) = try Self.write(seed: 3, labels: 100)
        let (second, _) = try Self.write(seed: 3, labels: 100)
        let (third, _) = try Self.write(seed: 4, labels: 100)
        defer { for url in [first, second, third] { try? FileManager.default.removeItem(at: url) } }
        let a = try Self.contents(of: first)
        #expect(a.count == 13)
        #expect(a == (try Self.contents(of: second)))
        let c = try Self.contents(of: third)
        #expect(a[SyntheticItem.publicFile] != c[SyntheticItem.publicFile])
        #expect(a["market.tax_paid.csv"] != c["market.tax_paid.csv"])
    }

    @Test func manifestNamesEachFilesCatalogSource() throws {
        let (directory, manifest) = try Self.write(seed: 5)
        defer { try? FileManager.default.removeItem(at: directory) }
        let catalog = CatalogSchema.shared
        #expect(Set(SyntheticItem.allCases.map(\.rawValue)) == Set(catalog.items.keys))
        for item in SyntheticItem.allCases {
            #expect(manifest.files[item.fileName] == catalog.items[item.rawValue]?.source)
        }
        let decoded = try JSONDecoder().decode(
            ProvinceManifest.self, from: Data(contentsOf: directory.appendingPathComponent(ProvinceWriter.manifestFile)))
        #expect(decoded == manifest)
        #expect(Set(manifest.files.values).isSubset(of: catalog.sources))
    }

    @Test func everyJSONLineIsARecordOrEventTheCatalogAccepts() throws {
        let (directory, manifest) = try Self.write(seed: 5)
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try String(contentsOf: directory.appendingPathComponent(SyntheticItem.publicFile), encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == manifest.lines[SyntheticItem.publicFile])
        var seen: [String: String] = [:]  // source_record_id -> item
        var items: Set<String> = []
        for (number, line) in lines.enumerated() {
            let decoded = try JSONDecoder().decode(FeedLine.self, from: Data(line.utf8))
            let item = try #require(CatalogSchema.shared.items[decoded.item], "line \(number + 1): unknown item")
            #expect(item.source == "jiangsu_public_credit")
            if decoded.type == "event" {
                #expect(seen[decoded.sourceRecordID] == decoded.item, "line \(number + 1): event before its record")
                #expect(StatusEvent.Kind(rawValue: decoded.event ?? "") != nil)
                continue
            }
            #expect(decoded.type == "record")
            seen[decoded.sourceRecordID] = decoded.item
            items.insert(decoded.item)
            let fields = try #require(decoded.fields)
            try Self.check(fields, against: item, subject: decoded.subject, line: number + 1)
        }
        #expect(items == Set(SyntheticItem.allCases.filter(\.isPublic).map(\.rawValue)))
    }

    @Test func everyCSVRowHasTheItemsColumnsAndTypes() throws {
        let (directory, manifest) = try Self.write(seed: 5)
        defer { try? FileManager.default.removeItem(at: directory) }
        for item in SyntheticItem.allCases where !item.isPublic {
            let text = try String(contentsOf: directory.appendingPathComponent(item.fileName), encoding: .utf8)
            let rows = try CSV.records(in: text).map(\.fields)
            let header = rows[0]
            #expect(Array(header.prefix(3)) == ["item", "subject", "source_record_id"])
            let schema = try #require(CatalogSchema.shared.items[item.rawValue])
            let fieldColumns = header.dropFirst(3).filter { !["decision_date", "publicity_start", "publicity_end"].contains($0) }
            #expect(Set(fieldColumns) == Set(schema.fields.keys), "\(item.fileName) columns")
            #expect(rows.count - 1 == manifest.lines[item.fileName])
            #expect(rows.count > 1, "\(item.fileName) is empty")
            for (number, row) in rows.enumerated().dropFirst() {
                #expect(row.count == header.count)
                #expect(row[0] == item.rawValue)
                var fields: [String: JSONValue] = [:]
                for (column, cell) in zip(header, row) where schema.fields[column] != nil {
                    fields[column] = cell.isEmpty ? .null : Self.csvValue(cell, type: schema.fields[column]!.type)
                }
                try Self.check(fields, against: schema, subject: row[1], line: number + 1)
            }
        }
    }

    @Test func labelsListTheFirstOrganisations() throws {
        let (directory, _) = try Self.write(seed: 5, labels: 50)
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try String(contentsOf: directory.appendingPathComponent(ProvinceWriter.labelsFile), encoding: .utf8)
        let rows = text.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        #expect(rows[0] == ["subject", "default_probability", "defaulted"])
        #expect(rows.count == 51)
        let generator = ProvinceGenerator(ProvinceConfiguration(seed: 5, organisations: 800, persons: 300, asOf: Self.asOf))
        for (index, row) in rows.dropFirst().enumerated() {
            let organisation = generator.organisation(at: index)
            #expect(row[0] == organisation.code.rawValue)
            #expect(abs(Double(row[1])! - organisation.defaultProbability) < 1e-6)
            #expect(row[2] == (organisation.defaulted ? "1" : "0"))
        }
    }

    // MARK: Checking against the catalog

    /// The fields are exactly the item's, required ones are present, and each value has its type.
    static func check(_ fields: [String: JSONValue], against item: CatalogSchema.Item, subject: String, line: Int) throws {
        #expect(Set(fields.keys) == Set(item.fields.keys), "line \(line): fields differ from the catalog")
        _ = try SubjectIdentifier(subject, today: asOf)
        for (name, field) in item.fields {
            let value = fields[name] ?? .null
            if case .null = value {
                #expect(!field.required, "line \(line): required \(name) missing")
                continue
            }
            #expect(Self.conforms(value, to: field), "line \(line): \(name) is not a valid \(field.type)")
        }
    }

    static func conforms(_ value: JSONValue, to field: CatalogSchema.Field) -> Bool {
        switch (field.type, value) {
        case ("int", .int): true
        case ("decimal", .int), ("decimal", .double): true
        case ("bool", .bool): true
        case ("date", .string(let text)): CivilDate(text) != nil
        case ("month", .string(let text)): text.count == 7 && CivilDate(text + "-01") != nil
        case ("enum", .string(let text)): field.values.contains(text)
        case ("uscc", .string(let text)): (try? UnifiedSocialCreditCode(text)) != nil
        case ("resident_id", .string(let text)): (try? ResidentIDNumber(text, today: asOf)) != nil
        case ("mobile", .string(let text)): text.count == 11 && text.allSatisfy(\.isNumber)
        case ("bank_card", .string(let text)): (16...19).contains(text.count) && text.allSatisfy(\.isNumber)
        case ("string", .string(let text)), ("person_name", .string(let text)), ("address", .string(let text)): !text.isEmpty
        default: false
        }
    }

    /// A CSV cell read as the JSON value of the same catalog type.
    static func csvValue(_ cell: String, type: String) -> JSONValue {
        switch type {
        case "int": Int(cell).map(JSONValue.int) ?? .string(cell)
        case "decimal": Double(cell).map(JSONValue.double) ?? .string(cell)
        case "bool": cell == "true" ? .bool(true) : cell == "false" ? .bool(false) : .string(cell)
        default: .string(cell)
        }
    }
}

/// A feed line as the ingest reads it.
struct FeedLine: Decodable {
    let type: String
    let item: String
    let subject: String
    let sourceRecordID: String
    let event: String?
    let fields: [String: JSONValue]?

    enum CodingKeys: String, CodingKey {
        case type, item, subject, sourceRecordID = "source_record_id", event, fields
    }
}

/// A JSON value, keeping integers, fractions and booleans apart.
enum JSONValue: Decodable {
    case null, bool(Bool), int(Int), double(Double), string(String)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
        else if let number = try? container.decode(Int.self) { self = .int(number) }
        else if let number = try? container.decode(Double.self) { self = .double(number) }
        else { self = .string(try container.decode(String.self)) }
    }
}
