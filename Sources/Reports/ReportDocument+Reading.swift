import BrokerCore
import Foundation

extension ReportDocument {
    /// Why a saved answer could not be read as a report.
    public struct ReadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// A saved answer as a report: a report's own JSON (`POST /v1/reports` with `Accept:
    /// application/json`), or a `POST /v1/queries` answer, which carries no subject identifier, no
    /// summary and no query history (the report says so where they would be).
    public static func read(json bytes: Data, catalog: Catalog) throws(ReadError) -> ReportDocument {
        let value: AnswerValue
        do {
            value = try AnswerValue(json: [UInt8](bytes))
        } catch {
            throw ReadError(description: "not JSON: \(error)")
        }
        guard case .object(let members) = value else { throw ReadError(description: "not a JSON object") }
        if case .string(let format)? = members["format"] {
            guard format == currentFormat else {
                throw ReadError(description: "format is \(format); this version reads \(currentFormat)")
            }
            do {
                return try JSONDecoder().decode(ReportDocument.self, from: bytes)
            } catch {
                throw ReadError(description: "not a valid \(currentFormat) document: \(Self.describe(error))")
            }
        }
        return try ReportDocument(queryAnswer: members, catalog: catalog)
    }

    /// A `POST /v1/queries` answer as a report.
    init(queryAnswer members: [String: AnswerValue], catalog: Catalog) throws(ReadError) {
        func string(_ name: String) throws(ReadError) -> String {
            guard case .string(let text)? = members[name] else {
                throw ReadError(description: "neither a credit report (no \"format\") nor a query answer (no \"\(name)\" string)")
            }
            return text
        }
        let requestID = try string("request_id")
        let partner = try string("partner")
        let contractVersion = try string("contract_version")
        let purpose = try string("purpose")
        var consentID: String?
        if case .string(let id)? = members["consent_id"] { consentID = id }
        guard case .array(let disclosedValues)? = members["disclosed"], case .array(let withheldValues)? = members["withheld"] else {
            throw ReadError(description: "a query answer has \"disclosed\" and \"withheld\" arrays")
        }
        var disclosed: [DisclosedItem] = []
        for (index, value) in disclosedValues.enumerated() {
            guard case .object(let item) = value, case .string(let id)? = item["item"], case .array(let records)? = item["records"] else {
                throw ReadError(description: "disclosed[\(index)] is not an item with its records")
            }
            disclosed.append(DisclosedItem(item: id, records: records.map(Record.init(answered:))))
        }
        let withheld: [WithheldItem]
        do {
            withheld = try JSONDecoder().decode([WithheldItem].self, from: Data(AnswerValue.array(withheldValues).json))
        } catch {
            throw ReadError(description: "withheld: \(Self.describe(error))")
        }
        let kinds = Set((disclosed.map(\.item) + withheld.map(\.item)).compactMap { catalog.item($0)?.subject })
        let kind: SubjectKind = kinds == [.person] ? .person : .organisation
        self.init(
            requestID: requestID, partner: partner, partnerName: nil, contractVersion: contractVersion, purpose: purpose, consentID: consentID,
            issuedAt: Date(timeIntervalSince1970: 0), subject: Subject(kind: kind, label: nil, name: Subject.name(kind: kind, in: disclosed)),
            summary: nil, disclosed: disclosed, withheld: withheld, queryHistory: nil, receiptKeySHA256: nil
        )
        // A query answer does not say when it was issued; its receipt does.
        issuedAt = "—"
        madeFrom = "query_answer"
    }

    private static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, let context): return "\(Self.path(context.codingPath + [key])): missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(Self.path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.reduce(into: "") { path, key in
            if let index = key.intValue { path += "[\(index)]" } else { path += (path.isEmpty ? "" : ".") + key.stringValue }
        }
    }
}

extension ReportDocument.Subject {
    /// The subject's name as a disclosed record gives it: an organisation's from its registration,
    /// a person's (masked) from any of the person's records that names them.
    public static func name(kind: SubjectKind, in disclosed: [ReportDocument.DisclosedItem]) -> String? {
        let items = kind == .organisation ? disclosed.filter { $0.item == "enterprise.registration" } : disclosed
        for item in items {
            for record in item.records {
                if case .string(let name)? = record.fields["name"], !name.isEmpty { return name }
            }
        }
        return nil
    }
}

extension ReportDocument.Record {
    /// A record as a query answer carries it: its masked fields with the broker's marks merged in
    /// (`disputed`, `dispute`, `subject_statement`).
    init(answered value: AnswerValue) {
        guard case .object(var fields) = value else {
            self.init(fields: [:], decisionDate: nil, publicityStart: nil, publicityEnd: nil, disputed: false, dispute: nil, subjectStatement: nil)
            return
        }
        let disputed = fields.removeValue(forKey: "disputed") == .bool(true)
        let dispute = fields.removeValue(forKey: "dispute")
        let statement = fields.removeValue(forKey: "subject_statement")
        self.init(
            fields: fields, decisionDate: nil, publicityStart: nil, publicityEnd: nil, disputed: disputed || dispute != nil, dispute: dispute,
            subjectStatement: statement
        )
    }
}
