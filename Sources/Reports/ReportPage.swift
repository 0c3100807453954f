import BrokerCore
import Foundation
import Mustache

/// A report as one self-contained HTML file: the template and style sheet compiled into the binary
/// (`Templates/`), the values escaped by Mustache, no script, and a content security policy that
/// lets the file fetch nothing (`default-src 'none'`), so it shows the same offline, printed or
/// archived.
///
/// Contents, in the order a loan officer reads them: the subject's masked identity and
/// registration; the summary box (score, grade, PD, the top reason codes, the adverse items at a
/// glance); each disclosed item as a table of its records; the withheld manifest in plain words;
/// the query history (查询记录); the footer with the contract version, request id, time and how to
/// verify the receipt.
public struct ReportPage: Sendable {
    let catalog: Catalog
    let purposes: PurposeCatalog

    public init(catalog: Catalog, purposes: PurposeCatalog) {
        self.catalog = catalog
        self.purposes = purposes
    }

    /// The template, parsed once; one that does not parse is a defect of this repository, which
    /// `ReportsTests` finds before a release.
    static let template: MustacheTemplate = {
        do {
            return try MustacheTemplate(string: String(decoding: PackageResources.report_mustache, as: UTF8.self))
        } catch {
            fatalError("the report template does not parse: \(error)")
        }
    }()

    static let css = String(decoding: PackageResources.report_css, as: UTF8.self)

    /// The report as HTML in `language`. `offline`: printed from a saved answer (`report render`),
    /// whose receipt covers the answer, not this page; the page says so.
    public func html(_ document: ReportDocument, language: ReportLanguage, offline: Bool = false) -> String {
        Self.template.render(values(document, language: language, offline: offline || document.madeFrom != nil))
    }

    // MARK: Values for the template

    /// How many reason codes the summary box shows.
    static let topReasons = 4

    func itemTitle(_ id: String) -> Bilingual { catalog.item(id).map { Bilingual(title: $0.title) } ?? Bilingual(id, id) }

    func purposeTitle(_ id: String) -> Bilingual { purposes.titles[id].map { Bilingual(title: $0) } ?? Bilingual(id, id) }

    func values(_ document: ReportDocument, language l: ReportLanguage, offline: Bool) -> [String: Any] {
        let words = ReportWords(language: l)
        let person = document.subject.kind == .person
        var values: [String: Any] = [
            "lang": l.tag,
            "css": Self.css,
            "t": words.headings,
            "title": words.title(person: person),
            "subtitle": words.subtitle(person: person),
            "requestID": document.requestID,
            "meta": [
                ["label": words.issuedTo, "value": document.partnerName.map { "\($0)（\(document.partner)）" } ?? document.partner],
                ["label": words.purpose, "value": purposeTitle(document.purpose)(l)],
                ["label": words.issuedAt, "value": Self.chinaTime(document.issuedAt)],
                ["label": words.requestID, "value": document.requestID],
            ],
            "identity": identity(document, words: words),
            "items": items(document, words: words),
            "withheld": document.withheld.map { withheld in
                [
                    "item": itemTitle(withheld.item)(l), "id": withheld.item, "why": ReportVocabulary.reason(withheld.reason)(l),
                    "unlock": ReportVocabulary.unlock(withheld.unlock, itemTitle: itemTitle, purposeTitle: purposeTitle)(l),
                ]
            },
            "footer": footer(document, words: words, offline: offline),
        ]
        values["hasWithheld"] = !document.withheld.isEmpty
        if document.withheld.isEmpty { values["nothingWithheld"] = words.nothingWithheld }
        if let summary = document.summary {
            values["summary"] = self.summary(summary, words: words)
        } else {
            values["noSummary"] = words.noSummary
        }
        if let history = document.queryHistory {
            values["history"] = self.history(history, words: words)
        } else {
            values["noHistory"] = words.noHistory
        }
        if offline { values["offline"] = words.offline }
        return values
    }

    /// The identity block: kind, identifier, name, and the registration's fields when disclosed.
    func identity(_ document: ReportDocument, words: ReportWords) -> [[String: Any]] {
        let l = words.language
        var rows: [[String: Any]] = [["label": words.subjectKind, "value": words.kind(document.subject.kind)]]
        if let label = document.subject.label {
            rows.append(["label": document.subject.kind == .person ? words.idNumber : words.uscc, "value": label])
        }
        rows.append(["label": words.name, "value": document.subject.name ?? words.notDisclosed])
        if let registration = document.disclosed.first(where: { $0.item == Self.registration })?.records.first {
            let item = catalog.item(Self.registration)
            for field in item?.fields ?? [] where field.name != "name" {
                guard let value = registration.fields[field.name], value != .null else { continue }
                let label = Self.fieldName(field.name)(l)
                rows.append(["label": label.prefix(1).uppercased() + label.dropFirst(), "value": Self.text(value, field: field.name, language: l)])
            }
            if registration.disputed { rows.append(["label": words.status, "value": words.disputedText(registration)]) }
        }
        return rows
    }

    /// The registration is shown with the identity, not again as a table.
    static let registration = "enterprise.registration"

    func summary(_ summary: ReportDocument.Summary, words: ReportWords) -> [String: Any] {
        let l = words.language
        var values: [String: Any] = [:]
        if let score = summary.score {
            var shown: [String: Any] = [
                "score": "\(score.score)", "grade": score.grade,
                "pd": Self.percent(score.probabilityOfDefault), "model": score.modelVersion + (score.modelSegment.map { " · \($0)" } ?? ""),
                "reasons": score.reasons.prefix(Self.topReasons).map { reason in
                    ["code": reason.code, "text": l == .zh ? reason.zh : reason.en, "points": reason.pointsLost.map { Self.number($0) } ?? "—"]
                },
            ]
            if let declined = score.declined { shown["declined"] = ["code": declined.code, "text": l == .zh ? declined.zh : declined.en] }
            shown["hasReasons"] = !score.reasons.isEmpty
            if score.reasons.isEmpty { shown["noReasons"] = words.noReasons }
            values["score"] = shown
        } else if let reason = summary.noScore {
            values["noScore"] = ReportVocabulary.noScore(reason, present: summary.featuresPresent, of: summary.featuresOf)(l)
        }
        values["glance"] = summary.glance.map { glance -> [String: Any] in
            var row: [String: Any] = ["item": itemTitle(glance.item)(l), "hidden": glance.withheld, "adverse": false]
            if glance.withheld {
                row["hiddenText"] = words.withheldShort
            } else {
                row["records"] = "\(glance.records)"
                row["adverse"] = glance.records > 0
                row["disputed"] = glance.disputed > 0 ? "\(glance.disputed)" : "—"
                row["amount"] = glance.amount.map(Self.number) ?? "—"
            }
            return row
        }
        return values
    }

    /// Each disclosed item but the registration: its records as a table (columns: the record's dates
    /// when any has them, the fields any record has in catalog order, and the status with the
    /// dispute mark and its date).
    func items(_ document: ReportDocument, words: ReportWords) -> [[String: Any]] {
        let l = words.language
        return document.disclosed.filter { $0.item != Self.registration || document.subject.kind == .person }.map { disclosed -> [String: Any] in
            let item = catalog.item(disclosed.item)
            var values: [String: Any] = [
                "title": itemTitle(disclosed.item)(l), "id": disclosed.item,
                "source": item.flatMap { item in catalog.sources.first { $0.id == item.source } }.map { Bilingual(title: $0.title)(l) } ?? "",
            ]
            values["onFile"] = disclosed.onFile
            guard disclosed.onFile else {
                values["nothing"] = words.nothingOnFile
                return values
            }
            let records = disclosed.records
            let decided = records.contains { $0.decisionDate != nil }
            let publicity = records.contains { $0.publicityStart != nil || $0.publicityEnd != nil }
            let catalogFields = item?.fields.map(\.name) ?? []
            let present = Set(records.flatMap(\.fields.keys))
            let fields = catalogFields.filter(present.contains) + present.subtracting(catalogFields).sorted()
            // Dates and document numbers (the catalog's `…_no` fields) never wrap; numbers align right.
            let classes = fields.map { name -> String in
                switch item?.field(name)?.type {
                case .date?, .month?: "date"
                case .int?, .decimal?: "num"
                case _ where name.hasSuffix("_no"): "date"
                default: ""
                }
            }
            var columns: [[String: String]] = []
            if decided { columns.append(["text": words.decisionDate, "cls": "date"]) }
            if publicity { columns.append(["text": words.publicity, "cls": "date"]) }
            columns += zip(fields, classes).map { ["text": Self.fieldName($0)(l), "cls": $1] }
            columns.append(["text": words.status, "cls": "status"])
            values["columns"] = columns
            values["count"] = words.records(records.count)
            values["rows"] = records.map { record -> [String: Any] in
                var cells: [[String: Any]] = []
                if decided { cells.append(["text": record.decisionDate?.description ?? "—", "cls": "date"]) }
                if publicity {
                    cells.append(["text": "\(record.publicityStart?.description ?? "…") – \(record.publicityEnd?.description ?? "…")", "cls": "date"])
                }
                for (field, cls) in zip(fields, classes) {
                    cells.append(["text": record.fields[field].map { Self.text($0, field: field, language: l) } ?? "—", "cls": cls])
                }
                var status: [String: Any] = [
                    "text": record.disputed ? words.disputedText(record) : words.normal, "mark": record.disputed, "cls": "status",
                ]
                if let statement = Self.statement(record.subjectStatement) { status["statement"] = words.statement(statement) }
                cells.append(status)
                return ["cells": cells, "disputed": record.disputed]
            }
            return values
        }
    }

    func history(_ history: ReportDocument.QueryHistory, words: ReportWords) -> [String: Any] {
        let l = words.language
        var values: [String: Any] = [
            "period": "\(history.from) – \(history.to)",
            "groups": history.groups.map { group in
                [
                    "kind": ReportVocabulary.partnerKind(group.partnerKind)(l), "purpose": group.purpose.map { purposeTitle($0)(l) } ?? "—",
                    "queries": "\(group.queries)", "partners": "\(group.partners)", "last": group.last.description,
                ]
            },
            "streams": history.streams.map { stream in
                [
                    "kind": ReportVocabulary.partnerKind(stream.partnerKind)(l), "stream": ReportVocabulary.stream(stream.stream)(l),
                    "deliveries": "\(stream.deliveries)", "days": "\(stream.days)", "partners": "\(stream.partners)",
                ]
            },
            "total": words.totalQueries(history.groups.reduce(0) { $0 + $1.queries }),
            "hasGroups": !history.groups.isEmpty, "hasStreams": !history.streams.isEmpty,
        ]
        if history.groups.isEmpty { values["noQueries"] = words.noQueries }
        return values
    }

    func footer(_ document: ReportDocument, words: ReportWords, offline: Bool) -> [String: Any] {
        var rows: [[String: String]] = [
            ["label": words.contractVersion, "value": document.contractVersion],
            ["label": words.requestID, "value": document.requestID],
            ["label": words.issuedAt, "value": Self.chinaTime(document.issuedAt) + " (\(document.issuedAt))"],
            ["label": words.consent, "value": document.consentID ?? words.noConsent],
        ]
        if let key = document.receiptKeySHA256 { rows.append(["label": words.receiptKey, "value": "sha256:" + key]) }
        var values: [String: Any] = ["rows": rows, "verify": words.verify(offline: offline, suite: document.receiptSuite ?? .ed25519), "hasCommands": !offline]
        if !offline { values["commands"] = words.verifyCommands }
        return values
    }

    // MARK: Formatting

    static func fieldName(_ name: String) -> Bilingual { ReportVocabulary.fields[name] ?? Bilingual(name, name) }

    /// A field's value as text: an enum value by its name, a yes/no, a number with thousands
    /// separators, `—` for nothing.
    static func text(_ value: AnswerValue, field: String, language: ReportLanguage) -> String {
        switch value {
        case .null: "—"
        case .bool(let flag): (flag ? ReportVocabulary.yes : ReportVocabulary.no)(language)
        case .int(let number): grouped(String(number))
        case .decimal(let number): Self.number(number)
        case .string(let text): ReportVocabulary.values["\(field).\(text)"].map { $0(language) } ?? text
        case .array(let values): values.map { text($0, field: field, language: language) }.joined(separator: ", ")
        case .object: String(decoding: value.json, as: UTF8.self)
        }
    }

    /// A number with thousands separators, two decimals unless whole.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "—" }
        if value == value.rounded(), abs(value) < 1e15 { return grouped(String(Int64(value))) }
        let text = String(format: "%.2f", value)
        let parts = text.split(separator: ".")
        return grouped(String(parts[0])) + "." + parts[1]
    }

    private static func grouped(_ digits: String) -> String {
        let negative = digits.hasPrefix("-")
        let body = Array(negative ? digits.dropFirst() : Substring(digits))
        var out = ""
        for (index, character) in body.enumerated() {
            if index > 0, (body.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (negative ? "-" : "") + out
    }

    static func percent(_ value: Double) -> String { String(format: "%.2f%%", value * 100) }

    /// An RFC 3339 UTC instant as China time, `2026-12-05 16:40:11 (UTC+8)`.
    static func chinaTime(_ rfc3339: String) -> String {
        guard let instant = try? Date(rfc3339, strategy: .iso8601) else { return rfc3339 }
        let day = CivilDate(instant)
        let inDay = Int(instant.timeIntervalSince1970.rounded(.down)) + CivilDate.chinaUTCOffset - day.dayNumber * 86_400
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(day) \(two(inDay / 3_600)):\(two(inDay / 60 % 60)):\(two(inDay % 60)) (UTC+8)"
    }

    static func statement(_ value: AnswerValue?) -> (text: String, date: String?)? {
        guard case .object(let members)? = value, case .string(let text)? = members["text"] else { return nil }
        if case .string(let date)? = members["date"] { return (text, date) }
        return (text, nil)
    }
}
