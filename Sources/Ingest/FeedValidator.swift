import BrokerCore
import BrokerStore
import Formats

/// Checks feed lines against the catalog for one source and turns them into staged rows.
///
/// Person subjects are keyed by `PersonKeyHasher`; every `resident_id` value, and every other field
/// the catalog masks (names, mobile numbers, bank cards, addresses), is stored only in its masked
/// form, masked by the catalog's own rule: the most any masking profile can show, since a profile
/// only substitutes a rule for a rule and never the clear value. So nothing the broker keeps about
/// a person is recoverable, and an answer masked from the stored form is the answer masked from the
/// clear one (`MaskingAtIngestTests`). USCCs are read leniently (registry data): a failed check character is accepted and
/// counted as a warning, any other fault rejects the line. ID numbers are read strictly, because a
/// person filed under a number that fails its check could never be found by a partner's query.
struct FeedValidator: Sendable {
    /// A line that passed.
    enum Validated {
        case record(StagedRecord)
        case event(StagedEvent)
    }

    let catalog: Catalog
    let source: String
    let hasher: PersonKeyHasher
    let masking: MaskingPolicy

    init(catalog: Catalog, source: String, hasher: PersonKeyHasher, masking: MaskingPolicy) throws(IngestError) {
        guard catalog.sources.contains(where: { $0.id == source }) else { throw .unknownSource(source) }
        self.catalog = catalog
        self.source = source
        self.hasher = hasher
        self.masking = masking
    }

    /// A data-quality fault of an accepted value: the field and what is wrong with it.
    typealias Warning = (field: String, reason: String)

    /// Validates line `number`, adding to `warnings` the data-quality faults of accepted values.
    func validate(_ line: FeedLine, number: Int, warnings: inout [Warning]) throws(LineRejection) -> Validated {
        let item = try self.item(line)
        let subject = try self.subject(line, of: item, warnings: &warnings)
        let sourceRecordID = try requiredText(line.members["source_record_id"], "source_record_id")
        if line.isEvent {
            guard let kind = StagedEvent.Kind(rawValue: try requiredText(line.members["event"], "event")) else {
                throw LineRejection("event", "must be repaired, disputed, dispute_resolved or withdrawn")
            }
            guard let date = try date(line.members["date"], "date") else { throw LineRejection("date", "missing") }
            return .event(StagedEvent(
                line: number, kind: kind, subjectKey: subject.key, item: item.id, sourceRecordID: sourceRecordID, date: date))
        }
        let decisionDate = try date(line.members["decision_date"], "decision_date")
        let publicityStart = try date(line.members["publicity_start"], "publicity_start")
        let publicityEnd = try date(line.members["publicity_end"], "publicity_end")
        if let publicityStart, let publicityEnd, publicityEnd < publicityStart {
            throw LineRejection("publicity_end", "is before publicity_start")
        }
        switch item.disclosure.kind {
        case .penaltySeverity, .fixedPeriod:
            guard decisionDate != nil else {
                throw LineRejection("decision_date", "missing: \(item.id) is disclosed for a period from its decision date")
            }
        case .always, .publicityWindow: break
        }
        let fields = try self.fields(line, of: item, subject: subject, warnings: &warnings)
        let facts = RecordDisclosureFacts(
            status: .active, decisionDate: decisionDate, publicityStart: publicityStart, publicityEnd: publicityEnd,
            severity: fields.severity)
        guard let window = DisclosureWindow(item: item, facts: facts, catalog: catalog) else {
            throw LineRejection("fields.severity", "the item's disclosure rule needs a severity")
        }
        return .record(StagedRecord(
            line: number, subjectKey: subject.key, subjectKind: item.subject, subjectName: fields.subjectName,
            subjectMaskedID: subject.maskedID, item: item.id, sourceRecordID: sourceRecordID, decisionDate: decisionDate,
            publicityStart: publicityStart, publicityEnd: publicityEnd, discloseFrom: window.from,
            discloseUntil: window.until, fieldsJSON: fields.json))
    }

    // MARK: Line keys

    private func item(_ line: FeedLine) throws(LineRejection) -> DataItem {
        let id = try requiredText(line.members["item"], "item")
        guard let item = catalog.item(id) else { throw LineRejection("item", "no such item in the catalog") }
        guard item.source == source else {
            throw LineRejection("item", "\(item.id) comes from source \(item.source), not \(source)")
        }
        return item
    }

    /// The subject's storage key and, for a person, the number itself (to compare with `id_number`) and its mask.
    private struct Subject {
        let key: String
        let person: ResidentIDNumber?
        let maskedID: String?
    }

    private func subject(_ line: FeedLine, of item: DataItem, warnings: inout [Warning]) throws(LineRejection) -> Subject {
        let text = try requiredText(line.members["subject"], "subject")
        switch item.subject {
        case .organisation:
            return Subject(key: try uscc(text, "subject", warnings: &warnings), person: nil, maskedID: nil)
        case .person:
            let number = try residentID(text, "subject")
            return Subject(key: hasher.key(for: number).hex, person: number, maskedID: mask(number.rawValue, rule: "id_number"))
        }
    }

    private func uscc(_ text: String, _ field: String, warnings: inout [Warning]) throws(LineRejection) -> String {
        do {
            let parsed = try UnifiedSocialCreditCode.parseLenient(text)
            if let fault = parsed.checkWarning { warnings.append((field, "\(fault.description); loaded as delivered")) }
            return parsed.identifier.rawValue
        } catch {
            throw LineRejection(field, error.description)
        }
    }

    private func residentID(_ text: String, _ field: String) throws(LineRejection) -> ResidentIDNumber {
        do {
            return try ResidentIDNumber(text)
        } catch {
            throw LineRejection(field, error.description)
        }
    }

    // MARK: Fields

    private struct Fields {
        var json: String
        var severity: String?
        var subjectName: String?
    }

    private func fields(_ line: FeedLine, of item: DataItem, subject: Subject, warnings: inout [Warning]) throws(LineRejection) -> Fields {
        var given: [String: FeedLine.Value] = [:]
        for (name, value) in line.fields {
            guard item.field(name) != nil else {
                throw LineRejection("fields." + FeedLine.printable(name), "unknown field of \(item.id)")
            }
            given[name] = value
        }
        var result = Fields(json: "{")
        for (position, spec) in item.fields.enumerated() {
            let key = "fields." + spec.name
            let value = given[spec.name]
            if position > 0 { result.json += "," }
            result.json += JSONString.quoted(spec.name)
            result.json += ":"
            guard let value, !value.isNull else {
                if spec.required { throw LineRejection(key, "required field missing") }
                result.json += "null"
                continue
            }
            switch spec.type {
            case .residentID:
                let number = try residentID(try text(value, key), key)
                if let person = subject.person, person != number {
                    throw LineRejection(key, "does not match the subject's ID number")
                }
                result.json += JSONString.quoted(mask(number.rawValue, rule: spec.mask ?? "id_number"))
            case .uscc:
                result.json += JSONString.quoted(try uscc(try text(value, key), key, warnings: &warnings))
            default:
                let fragment = try Self.scalar(value, spec, key)
                if let rule = spec.mask, let text = fragment.text {
                    result.json += JSONString.quoted(mask(text, rule: rule))
                } else {
                    result.json += fragment.json
                }
                if spec.name == "severity" { result.severity = fragment.text }
                if spec.name == "name", let name = fragment.text {
                    result.subjectName = spec.type == .personName ? mask(name, rule: spec.mask ?? "person_name") : name
                }
            }
        }
        result.json += "}"
        return result
    }

    /// A non-identifier value as JSON text, and as plain text when it is a string.
    private static func scalar(_ value: FeedLine.Value, _ spec: FieldSpec, _ key: String) throws(LineRejection) -> (json: String, text: String?) {
        switch spec.type {
        case .int, .decimal:
            let number: String
            switch value {
            case .json(.number(let text)): number = text
            case .cell(let text):
                guard case .number(let text)? = try? JSONParser.parse(Array(text.utf8)) else {
                    throw LineRejection(key, "expected a number")
                }
                number = text
            default: throw LineRejection(key, "expected a number")
            }
            if spec.type == .int, !(number.utf8.allSatisfy { (48...57).contains($0) || $0 == UInt8(ascii: "-") } && Int(number) != nil) {
                throw LineRejection(key, "expected an integer")
            }
            return (number, nil)
        case .bool:
            switch value {
            case .json(.bool(let flag)): return (flag ? "true" : "false", nil)
            case .cell("true"): return ("true", nil)
            case .cell("false"): return ("false", nil)
            default: throw LineRejection(key, "expected true or false")
            }
        case .date:
            let text = try text(value, key)
            try checkDate(text, key)
            return (JSONString.quoted(text), text)
        case .month:
            let text = try text(value, key)
            guard text.utf8.count == 7, CivilDate(text + "-01") != nil else { throw LineRejection(key, "expected a month YYYY-MM") }
            return (JSONString.quoted(text), text)
        case .enum:
            let text = try text(value, key)
            guard spec.values.contains(text) else {
                throw LineRejection(key, "not one of \(spec.values.joined(separator: ", "))")
            }
            return (JSONString.quoted(text), text)
        case .string, .personName, .mobile, .bankCard, .address, .uscc, .residentID:
            let text = try text(value, key)
            return (JSONString.quoted(text), text)
        }
    }

    // MARK: Values

    private func mask(_ text: String, rule name: String) -> String {
        masking.storedForm(text, rule: name)
    }

    private static func text(_ value: FeedLine.Value, _ key: String) throws(LineRejection) -> String {
        switch value {
        case .json(.string(let text)), .cell(let text): text
        default: throw LineRejection(key, "expected a string")
        }
    }

    private func text(_ value: FeedLine.Value, _ key: String) throws(LineRejection) -> String {
        try Self.text(value, key)
    }

    private func optionalText(_ value: FeedLine.Value?, _ key: String) throws(LineRejection) -> String? {
        guard let value, !value.isNull else { return nil }
        return try Self.text(value, key)
    }

    private func requiredText(_ value: FeedLine.Value?, _ key: String) throws(LineRejection) -> String {
        guard let text = try optionalText(value, key), !text.isEmpty else { throw LineRejection(key, "missing") }
        return text
    }

    private func date(_ value: FeedLine.Value?, _ key: String) throws(LineRejection) -> CivilDate? {
        guard let text = try optionalText(value, key) else { return nil }
        return try Self.checkDate(text, key)
    }

    @discardableResult
    private static func checkDate(_ text: String, _ key: String) throws(LineRejection) -> CivilDate {
        if let date = CivilDate(text) { return date }
        let shape = text.utf8.count == 10 && text.utf8.enumerated().allSatisfy { index, byte in
            index == 4 || index == 7 ? byte == UInt8(ascii: "-") : (48...57).contains(byte)
        }
        throw LineRejection(key, shape ? "not a calendar date" : "expected a date YYYY-MM-DD")
    }
}
