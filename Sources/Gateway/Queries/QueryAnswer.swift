import BrokerCore
import Foundation
import Metering

/// The body of a `POST /v1/queries` answer.
struct QueryAnswer {
    struct DisclosedItem: Codable, Sendable {
        let item: String
        let records: [AnswerValue]
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

    /// The answer as JSON, keys sorted as `JSONResponse` sorts them. The records are written
    /// straight from their answer values, the broker's hottest path; the withheld manifest by
    /// `JSONResponse`.
    func json() throws -> Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(2048)
        func member(_ name: String, _ value: String) {
            AnswerValue.writeJSONString(name, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            AnswerValue.writeJSONString(value, to: &bytes)
            bytes.append(UInt8(ascii: ","))
        }
        bytes.append(UInt8(ascii: "{"))
        if let consentID { member("consent_id", consentID) }
        member("contract_version", contractVersion)
        bytes.append(contentsOf: #""disclosed":["#.utf8)
        for (index, item) in disclosed.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: #"{"item":"#.utf8)
            AnswerValue.writeJSONString(item.item, to: &bytes)
            bytes.append(contentsOf: #","records":"#.utf8)
            AnswerValue.array(item.records).writeJSON(to: &bytes)
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(contentsOf: "],".utf8)
        member("partner", partner)
        member("purpose", purpose)
        member("request_id", requestID)
        bytes.append(contentsOf: #""withheld":"#.utf8)
        bytes.append(contentsOf: withheld.isEmpty ? Data("[]".utf8) : try JSONResponse.encode(withheld))
        bytes.append(UInt8(ascii: "}"))
        return Data(bytes)
    }
}
