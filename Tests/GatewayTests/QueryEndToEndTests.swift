import BrokerCore
import Foundation
import Gateway
import Testing

/// `POST /v1/queries` over real TLS: decisions, one fetch for the disclosed items, masking, the
/// withheld manifest, problems with the offending field, and the receipt.
@Suite(.serialized) struct QueryEndToEndTests {
    /// The company's registration, then a dispute raised against it.
    static let feed = [
        #"{"type":"record","item":"enterprise.registration","subject":"91350100M000100Y43","source_record_id":"REG-1","fields":{"name":"南京示例科技有限公司","org_type":"enterprise","legal_representative":"张三丰","legal_representative_id":"11010519491231002X","established_on":"2015-03-01"}}"#,
        #"{"type":"event","event":"disputed","item":"enterprise.registration","subject":"91350100M000100Y43","source_record_id":"REG-1","date":"2026-01-05"}"#,
    ]

    static let company = "91350100M000100Y43"

    private func query(_ fields: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: fields)
    }

    @Test func aBankGetsMaskedRecordsAndAWithheldManifestWithAReceipt() async throws {
        try await TestGateway.run { gateway in
            try await gateway.ingest(Self.feed)
            let body = try query([
                "subject": Self.company, "purpose": "credit_approval",
                "items": ["enterprise.registration", "market.real_estate", "person.contact"],
            ])
            let reply = try await gateway.request(.POST, "/v1/queries", identity: gateway.identity(of: TestGateway.bank), body: body)
            #expect(reply.status == 200)

            let disclosed = try #require(reply.json["disclosed"] as? [[String: Any]])
            #expect(disclosed.map { $0["item"] as? String } == ["enterprise.registration"])
            let record = try #require((disclosed.first?["records"] as? [[String: Any]])?.first)
            #expect(record["name"] as? String == "南京示例科技有限公司")
            #expect(record["disputed"] as? Bool == true)
            #expect(record["legal_representative_id"] as? String != "11010519491231002X")
            #expect(record["legal_representative"] as? String != "张三丰")

            let withheld = try #require(reply.json["withheld"] as? [[String: Any]])
            #expect(withheld.map { $0["item"] as? String } == ["market.real_estate", "person.contact"])
            #expect(withheld.map { $0["reason"] as? String } == ["consent_missing", "no_sharing"])
            #expect((withheld[0]["unlock_text"] as? String)?.contains("consent") == true)
            #expect((reply.json["contract_version"] as? String)?.hasPrefix("\(TestGateway.bank)@") == true)
            #expect(reply.json["request_id"] is String)

            let key = try await gateway.request(.GET, "/v1/receipt-key")
            let receipt = try ReceiptVerifier(publicKeyPEM: String(decoding: key.body, as: UTF8.self))
                .verify(token: try #require(reply.headers.first(name: Receipt.headerName)), body: reply.body)
            #expect(receipt.itemsDisclosed == ["enterprise.registration"])
            #expect(receipt.requestID == reply.json["request_id"] as? String)
        }
    }

    /// Every disclosed item says whether anything is on file: `on_file: false` with no records for a
    /// company the broker holds nothing about, or an item it holds nothing of.
    @Test func eachDisclosedItemSaysWhetherAnythingIsOnFile() async throws {
        try await TestGateway.run { gateway in
            let bank = try gateway.identity(of: TestGateway.bank)
            let body = try query(["subject": Self.company, "purpose": "credit_approval", "items": ["enterprise.registration", "enterprise.penalty"]])
            let unknown = try await gateway.request(.POST, "/v1/queries", identity: bank, body: body)
            #expect(unknown.status == 200)
            let nothing = try #require(unknown.json["disclosed"] as? [[String: Any]])
            #expect(nothing.map { $0["item"] as? String } == ["enterprise.registration", "enterprise.penalty"])
            #expect(nothing.map { $0["on_file"] as? Bool } == [false, false])
            #expect(nothing.allSatisfy { ($0["records"] as? [Any])?.isEmpty == true })

            try await gateway.ingest(Self.feed)
            let known = try await gateway.request(.POST, "/v1/queries", identity: bank, body: body)
            let items = try #require(known.json["disclosed"] as? [[String: Any]])
            #expect(items.map { $0["on_file"] as? Bool } == [true, false])
            #expect((items[0]["records"] as? [Any])?.count == 1)
        }
    }

    @Test func invalidQueriesNameTheFieldAndNeverEchoTheSubject() async throws {
        try await TestGateway.run { gateway in
            let identity = try gateway.identity(of: TestGateway.bank)
            let cases: [([String: Any], String)] = [
                (["subject": "91350100M000100Y4Z", "purpose": "credit_approval", "items": ["enterprise.registration"]], "subject"),
                (["subject": "32010219900230001X", "purpose": "credit_approval", "items": ["person.dishonest_debtor"]], "subject"),
                (["subject": Self.company, "items": ["enterprise.registration"]], "purpose"),
                (["subject": Self.company, "purpose": "astrology", "items": ["enterprise.registration"]], "purpose"),
                (["subject": Self.company, "purpose": "credit_approval", "items": ["enterprise.registration", "enterprise.horoscope"]], "items[1]"),
                (["subject": Self.company, "purpose": "credit_approval"], "items"),
                (["subject": Self.company, "purpose": "credit_approval", "bundle": "no_such_category"], "bundle"),
                (["subject": Self.company, "purpose": "credit_approval", "items": ["enterprise.registration"], "consent_id": "c-1"], "consent_id"),
            ]
            for (fields, field) in cases {
                let reply = try await gateway.request(.POST, "/v1/queries", identity: identity, body: query(fields))
                #expect(reply.status == 400, "\(field)")
                #expect(reply.headers.first(name: "Content-Type") == "application/problem+json")
                #expect(reply.json["field"] as? String == field)
                #expect((reply.json["type"] as? String)?.hasPrefix("https://credit-broker.example/problems/") == true)
                let text = String(decoding: reply.body, as: UTF8.self)
                #expect(!text.contains("0230001X") && !text.contains("M000100Y4"))
            }
            let garbage = try await gateway.request(.POST, "/v1/queries", identity: identity, body: Data("{".utf8))
            #expect(garbage.status == 400)
            #expect(garbage.json["field"] as? String == "body")
            let huge = try await gateway.request(.POST, "/v1/queries", identity: identity, body: Data(repeating: 0x20, count: 1 << 20))
            #expect(huge.status == 413)
            #expect(huge.headers.first(name: "Content-Type") == "application/problem+json")
            #expect(huge.json["type"] as? String == "https://credit-broker.example/problems/body-too-large")
            // Which field and which limit: "Content Too Large" alone left the client guessing.
            #expect(huge.json["field"] as? String == "body")
            #expect((huge.json["detail"] as? String)?.contains("limit of 65536 bytes (64 KiB)") == true, "\(huge.json)")
            let score = try await gateway.request(.POST, "/v1/scores", identity: identity, body: Data(repeating: 0x20, count: 20_000))
            #expect(score.status == 413)
            #expect((score.json["detail"] as? String)?.contains("limit of 16384 bytes (16 KiB)") == true, "\(score.json)")
        }
    }

    @Test func aWrongTypedMemberIsNamedAndNullsAndExtraMembersAreAccepted() async throws {
        try await TestGateway.run { gateway in
            let identity = try gateway.identity(of: TestGateway.bank)
            let valid: [String: Any] = ["subject": Self.company, "purpose": "credit_approval", "items": ["enterprise.registration"]]
            let cases: [([String: Any], String, String)] = [
                (["items": "enterprise.penalty"], "items", "items must be an array of item ids (strings), not a string."),
                (["items": ["enterprise.registration", 7]], "items[1]", "items[1] must be a string, not a number."),
                (["purpose": 7], "purpose", "purpose must be a string, not a number."),
                (["subject": [Self.company]], "subject", "subject must be a string, not an array."),
                (["consent_id": ["id": "c-1"]], "consent_id", "consent_id must be a string, not an object."),
                (["bundle": true], "bundle", "bundle must be a string, not a boolean."),
            ]
            for (change, field, detail) in cases {
                let reply = try await gateway.request(.POST, "/v1/queries", identity: identity, body: query(valid.merging(change) { $1 }))
                #expect(reply.status == 400, "\(field)")
                #expect(reply.json["field"] as? String == field)
                #expect(reply.json["detail"] as? String == detail)
                #expect(!String(decoding: reply.body, as: UTF8.self).contains("M000100Y4"))
            }
            let bodies: [(Data, String)] = [
                (Data(#"{"subject": "\#(Self.company)", "purpose": }"#.utf8), "The body is not valid JSON at byte 46: expected a value."),
                (Data("[]".utf8), "The body must be a JSON object, not an array."),
                (Data([0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D]), "The body is not UTF-8 text: byte 3 does not belong to a valid UTF-8 sequence."),
            ]
            for (body, detail) in bodies {
                let reply = try await gateway.request(.POST, "/v1/queries", identity: identity, body: body)
                #expect(reply.status == 400 && reply.json["field"] as? String == "body", "\(detail)")
                #expect(reply.json["detail"] as? String == detail)
                #expect(!String(decoding: reply.body, as: UTF8.self).contains("M000100Y4"))
            }
            let lenient = try await gateway.request(.POST, "/v1/queries", identity: identity, body: query(valid.merging([
                "consent_id": NSNull(), "bundle": NSNull(), "client_reference": ["loan": "L-7", "branch": 12],
            ]) { $1 }))
            #expect(lenient.status == 200, "\(String(decoding: lenient.body, as: UTF8.self))")
            #expect(lenient.json["purpose"] as? String == "credit_approval" && lenient.json["consent_id"] == nil)
        }
    }
}
