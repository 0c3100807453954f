import BrokerCore
import Foundation
import Metering

/// The body of a `POST /v1/queries` answer.
struct QueryAnswer {
    /// A disclosed item with the subject's records of it; `on_file` is false when there are none
    /// (nothing on file, as opposed to an item withheld).
    struct DisclosedItem: Codable, Sendable {
        let item: String
        let records: [AnswerValue]

        var onFile: Bool { !records.isEmpty }

        init(item: String, records: [AnswerValue]) {
            self.item = item
            self.records = records
        }

        enum CodingKeys: String, CodingKey { case item, records, onFile = "on_file" }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            item = try container.decode(String.self, forKey: .item)
            records = try container.decode([AnswerValue].self, forKey: .records)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(item, forKey: .item)
            try container.encode(onFile, forKey: .onFile)
            try container.encode(records, forKey: .records)
        }
    }

    struct WithheldItem: Codable, Sendable {
        let item: String
        let reason: WithholdReason
        let unlock: Unlock
        /// `unlock` in English, for people.
        let unlockText: String

        enum CodingKeys: String, CodingKey { case item, reason, unlock, unlockText = "unlock_text" }

        /// The entry a meter event records for it.
        var meterEntry: MeterEvent.Withheld { MeterEvent.Withheld(item: item, reason: reason) }
    }

    let requestID: String
    let partner: String
    let contractVersion: String
    let purpose: String
    let consentID: String?
    let disclosed: [DisclosedItem]
    let withheld: [WithheldItem]

    /// The answer as JSON, keys sorted as `JSONResponse` sorts them, written by `AnswerValue`: the
    /// records go out as they are, without `JSONEncoder`'s generic pass over every field (the
    /// broker's hottest path). The withheld manifest keeps its `Codable` form; `withheld` sorts
    /// last, so its text closes the object.
    func json() throws -> Data {
        var members: [String: AnswerValue] = [
            "contract_version": .string(contractVersion),
            "disclosed": .array(disclosed.map { .object(["item": .string($0.item), "on_file": .bool($0.onFile), "records": .array($0.records)]) }),
            "partner": .string(partner),
            "purpose": .string(purpose),
            "request_id": .string(requestID),
        ]
        if let consentID { members["consent_id"] = .string(consentID) }
        var bytes = AnswerValue.object(members).json
        bytes.removeLast()
        bytes.append(contentsOf: #","withheld":"#.utf8)
        bytes.append(contentsOf: withheld.isEmpty ? Data("[]".utf8) : try JSONResponse.encode(withheld))
        bytes.append(UInt8(ascii: "}"))
        return Data(bytes)
    }
}
