import BrokerCore
import BrokerStore
import Foundation
import PostgresClient
import Testing

/// The ingest stores names, mobile numbers, bank cards and addresses only in the form the catalog's
/// masks give, as it always stored ID numbers; `StoredRecordMasking` brings a database an older
/// ingest filled (clear values in `records` and in the insert-only `record_versions`) to the same
/// form, touching nothing else.
@Suite struct MaskingAtRestTests {
    static let person = IngestFixture.person
    static let contact = #"{"type":"record","item":"person.contact","subject":"\#(person)","source_record_id":"PC-1","fields":{"name":"欧阳修文","mobile":"13812345678","bank_card":"6222020200112233445","address":"江苏省南京市鼓楼区北京西路7号"}}"#

    static func stored(_ pool: PostgresPool, _ table: String) async throws -> [(seq: Int64, version: Int, fields: String)] {
        try await pool.query(PostgresQuery(unsafeSQL: "SELECT change_seq, version, fields::text FROM \(table) ORDER BY change_seq")).map {
            (try $0.decode(Int64.self, at: 0), try $0.decode(Int.self, at: 1), try $0.decode(String.self, at: 2))
        }
    }

    @Test func theIngestStoresOnlyTheMaskedFormAndAnOlderDatabaseIsBroughtToIt() async throws {
        let fixture = try await IngestFixture.make()
        let (summary, rejections) = try await fixture.ingest(try fixture.write("contact.jsonl", lines: [Self.contact]))
        #expect(rejections.isEmpty && summary.inserted == 1)
        let ingested = try #require(try await Self.stored(fixture.pool, "records").first)
        for clear in ["欧阳修文", "13812345678", "6222020200112233445", "北京西路7号"] {
            #expect(!ingested.fields.contains(clear))
        }
        #expect(ingested.fields.contains(#""name": "欧阳**""#), "\(ingested.fields)")
        #expect(ingested.fields.contains(#""mobile": "138****5678""#))
        #expect(ingested.fields.contains(#""bank_card": "622202*********3445""#))
        #expect(ingested.fields.contains(#""address": "江苏省南京市鼓楼区******""#))

        // A database an older ingest filled: clear values in the record and in its history.
        let older = #"{"name": "欧阳修文", "mobile": "13812345678", "address": null, "bank_card": "6222020200112233445"}"#
        let oldest = #"{"name": "王小明", "mobile": "13900001111", "address": "江苏省南京市鼓楼区汉中路99号", "bank_card": null}"#
        try await fixture.pool.query("UPDATE records SET fields = \(oldest)::jsonb, version = 2, change_seq = nextval('record_change_seq')")
        try await fixture.pool.query("UPDATE records SET fields = \(older)::jsonb, version = 3, change_seq = nextval('record_change_seq')")
        let beforeRecords = try await Self.stored(fixture.pool, "records")
        let beforeVersions = try await Self.stored(fixture.pool, "record_versions")
        #expect(beforeVersions.count == 2)

        let result = try await StoredRecordMasking.run(pool: fixture.pool, catalog: fixture.catalog, masking: fixture.masking, batchSize: 1)
        #expect(result == StoredRecordMasking.Summary(records: 1, versions: 1))
        let records = try await Self.stored(fixture.pool, "records")
        let versions = try await Self.stored(fixture.pool, "record_versions")
        #expect(records.map(\.seq) == beforeRecords.map(\.seq) && records.map(\.version) == beforeRecords.map(\.version))
        #expect(versions.map(\.seq) == beforeVersions.map(\.seq) && versions.map(\.version) == beforeVersions.map(\.version))
        #expect(records[0].fields == #"{"name": "欧阳**", "mobile": "138****5678", "address": null, "bank_card": "622202*********3445"}"#)
        #expect(versions[1].fields == #"{"name": "王**", "mobile": "139****1111", "address": "江苏省南京市鼓楼区******", "bank_card": null}"#)
        #expect(versions[0].fields == ingested.fields, "a row already masked is left as it was")
        let all = (records + versions).map(\.fields).joined()
        for clear in ["欧阳修文", "王小明", "13812345678", "13900001111", "6222020200112233445", "汉中路99号"] {
            #expect(!all.contains(clear))
        }

        // Nothing left to do; and the triggers are back: history is insert-only, a change keeps
        // the row it replaces.
        #expect(try await StoredRecordMasking.run(pool: fixture.pool, catalog: fixture.catalog, masking: fixture.masking) == .init())
        await #expect(throws: PostgresError.self) { try await fixture.pool.query("UPDATE record_versions SET version = version") }
        try await fixture.pool.query("UPDATE records SET version = 4, change_seq = nextval('record_change_seq')")
        #expect(try await Self.stored(fixture.pool, "record_versions").count == 3)
        await fixture.close()
    }
}
