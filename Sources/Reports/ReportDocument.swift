import BrokerCore
import Foundation

/// A credit report (信用报告) as data: what `POST /v1/reports` answers as `application/json`, what
/// its HTML and PDF are rendered from, and what `credit-broker report render` reads back.
///
/// Everything in it was decided for one partner: the records are masked with the partner's
/// profile, the withheld items carry no value, and the summary and the query history are computed
/// from what the partner may see (the score only from the disclosed records).
public struct ReportDocument: Codable, Sendable, Hashable {
    /// `format` of every document this version writes.
    public static let currentFormat = "credit-report/1"

    /// The subject as the partner may see it.
    public struct Subject: Codable, Sendable, Hashable {
        public var kind: SubjectKind
        /// The USCC, or the ID number masked with the partner's profile.
        public var label: String?
        /// An organisation's registered name, a person's masked name, from a disclosed record (absent
        /// when no disclosed record names the subject).
        public var name: String?

        public init(kind: SubjectKind, label: String?, name: String?) {
            self.kind = kind
            self.label = label
            self.name = name
        }
    }

    /// A reason code of the score, in both languages.
    public struct Reason: Codable, Sendable, Hashable {
        public var code: String
        public var zh: String
        public var en: String
        public var pointsLost: Double?

        public init(code: String, zh: String, en: String, pointsLost: Double?) {
            self.code = code
            self.zh = zh
            self.en = en
            self.pointsLost = pointsLost
        }

        enum CodingKeys: String, CodingKey { case code, zh, en, pointsLost = "points_lost" }
    }

    /// A lending score computed from the report's disclosed records only.
    public struct Score: Codable, Sendable, Hashable {
        public var score: Int
        public var grade: String
        public var probabilityOfDefault: Double
        public var modelVersion: String
        public var modelSegment: String?
        /// The hard-decline rule met, if any.
        public var declined: Reason?
        /// The reasons that cost the most points, most first.
        public var reasons: [Reason]

        public init(
            score: Int, grade: String, probabilityOfDefault: Double, modelVersion: String, modelSegment: String?, declined: Reason?,
            reasons: [Reason]
        ) {
            self.score = score
            self.grade = grade
            self.probabilityOfDefault = probabilityOfDefault
            self.modelVersion = modelVersion
            self.modelSegment = modelSegment
            self.declined = declined
            self.reasons = reasons
        }

        enum CodingKeys: String, CodingKey {
            case score, grade, probabilityOfDefault = "probability_of_default", modelVersion = "model_version"
            case modelSegment = "model_segment", declined, reasons
        }
    }

    /// Why the report carries no score.
    public enum NoScore: String, Codable, Sendable, Hashable {
        /// Scores cover organisations.
        case person
        /// None of the scorecard's input items is disclosed in this report.
        case noInputDisclosed = "no_input_disclosed"
        /// Fewer than half of the features of the card's segment are available.
        case insufficientData = "insufficient_data"
    }

    /// One adverse item at a glance (an item the catalog marks as news for a lender: penalties,
    /// dishonesty and black lists, the abnormal-operations list).
    public struct Glance: Codable, Sendable, Hashable {
        public var item: String
        /// Withheld from this partner: nothing is said about its records.
        public var withheld: Bool
        /// The records on file (0 when withheld).
        public var records: Int
        /// Of them, the disputed.
        public var disputed: Int
        /// The sum of their `amount` fields, when any has one.
        public var amount: Double?

        public init(item: String, withheld: Bool, records: Int, disputed: Int, amount: Double?) {
            self.item = item
            self.withheld = withheld
            self.records = records
            self.disputed = disputed
            self.amount = amount
        }
    }

    public struct Summary: Codable, Sendable, Hashable {
        public var score: Score?
        /// Set when `score` is absent.
        public var noScore: NoScore?
        /// The features available to the score, of those the card's segment reads.
        public var featuresPresent: Int?
        public var featuresOf: Int?
        public var glance: [Glance]

        public init(score: Score?, noScore: NoScore?, featuresPresent: Int?, featuresOf: Int?, glance: [Glance]) {
            self.score = score
            self.noScore = noScore
            self.featuresPresent = featuresPresent
            self.featuresOf = featuresOf
            self.glance = glance
        }

        enum CodingKeys: String, CodingKey {
            case score, noScore = "no_score", featuresPresent = "features_present", featuresOf = "features_of", glance
        }
    }

    /// One disclosed record: its fields masked with the partner's profile, its dates and status,
    /// and the broker's marks.
    public struct Record: Codable, Sendable, Hashable {
        public var fields: [String: AnswerValue]
        public var decisionDate: CivilDate?
        public var publicityStart: CivilDate?
        public var publicityEnd: CivilDate?
        /// Marked as disputed (by a dispute through the portal, or by its source).
        public var disputed: Bool
        /// The open dispute filed through the portal: `id`, `filed`, `deadline`.
        public var dispute: AnswerValue?
        /// The subject's statement kept beside a confirmed record: `text`, `dispute_id`, `date`.
        public var subjectStatement: AnswerValue?

        public init(
            fields: [String: AnswerValue], decisionDate: CivilDate?, publicityStart: CivilDate?, publicityEnd: CivilDate?, disputed: Bool,
            dispute: AnswerValue?, subjectStatement: AnswerValue?
        ) {
            self.fields = fields
            self.decisionDate = decisionDate
            self.publicityStart = publicityStart
            self.publicityEnd = publicityEnd
            self.disputed = disputed
            self.dispute = dispute
            self.subjectStatement = subjectStatement
        }

        enum CodingKeys: String, CodingKey {
            case fields, decisionDate = "decision_date", publicityStart = "publicity_start", publicityEnd = "publicity_end"
            case disputed, dispute, subjectStatement = "subject_statement"
        }

        /// The day the dispute was filed, when the broker knows it.
        public var disputeFiled: String? {
            if case .object(let members)? = dispute, case .string(let filed)? = members["filed"] { return filed }
            return nil
        }
    }

    public struct DisclosedItem: Codable, Sendable, Hashable {
        public var item: String
        public var records: [Record]

        public var onFile: Bool { !records.isEmpty }

        public init(item: String, records: [Record]) {
            self.item = item
            self.records = records
        }

        enum CodingKeys: String, CodingKey { case item, onFile = "on_file", records }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            item = try container.decode(String.self, forKey: .item)
            records = try container.decode([Record].self, forKey: .records)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(item, forKey: .item)
            try container.encode(onFile, forKey: .onFile)
            try container.encode(records, forKey: .records)
        }
    }

    public struct WithheldItem: Codable, Sendable, Hashable {
        public var item: String
        public var reason: WithholdReason
        public var unlock: Unlock

        public init(item: String, reason: WithholdReason, unlock: Unlock) {
            self.item = item
            self.reason = reason
            self.unlock = unlock
        }
    }

    /// Who queried the subject (查询记录): answers about the subject that left the broker, counted
    /// per kind of partner and purpose, over `from` … `to` (China time, both inclusive).
    public struct QueryHistory: Codable, Sendable, Hashable {
        public struct Group: Codable, Sendable, Hashable {
            public var partnerKind: String
            public var purpose: String?
            public var queries: Int
            /// Distinct partners among them.
            public var partners: Int
            public var last: CivilDate

            public init(partnerKind: String, purpose: String?, queries: Int, partners: Int, last: CivilDate) {
                self.partnerKind = partnerKind
                self.purpose = purpose
                self.queries = queries
                self.partners = partners
                self.last = last
            }

            enum CodingKeys: String, CodingKey { case partnerKind = "partner_kind", purpose, queries, partners, last }
        }

        /// A stream's deliveries of the subject's changes (the change feed, alerts).
        public struct Stream: Codable, Sendable, Hashable {
            public var partnerKind: String
            public var stream: String
            public var deliveries: Int
            public var days: Int
            public var partners: Int

            public init(partnerKind: String, stream: String, deliveries: Int, days: Int, partners: Int) {
                self.partnerKind = partnerKind
                self.stream = stream
                self.deliveries = deliveries
                self.days = days
                self.partners = partners
            }

            enum CodingKeys: String, CodingKey { case partnerKind = "partner_kind", stream, deliveries, days, partners }
        }

        public var from: CivilDate
        public var to: CivilDate
        public var groups: [Group]
        public var streams: [Stream]

        public init(from: CivilDate, to: CivilDate, groups: [Group], streams: [Stream]) {
            self.from = from
            self.to = to
            self.groups = groups
            self.streams = streams
        }
    }

    public var format: String
    public var requestID: String
    public var partner: String
    public var partnerName: String?
    public var contractVersion: String
    public var purpose: String
    public var consentID: String?
    /// RFC 3339, UTC, whole seconds (the receipt's `issued_at`).
    public var issuedAt: String
    public var subject: Subject
    /// Absent in a document made from a query answer, which carries none.
    public var summary: Summary?
    public var disclosed: [DisclosedItem]
    public var withheld: [WithheldItem]
    /// Absent in a document made from a query answer.
    public var queryHistory: QueryHistory?
    /// SHA-256 of the receipt key (its SubjectPublicKeyInfo), so that a reader of a printed report
    /// knows which key verifies it.
    public var receiptKeySHA256: String?
    /// The suite of the receipt that covers the document (the partner's contract's), so that the
    /// report says which signature and which hash of the file to check: Ed25519 over SHA-256, or
    /// SM2 over SM3. Absent in a document made offline.
    public var receiptSuite: ReceiptSuite?
    /// `query_answer` when the document was made offline from a saved `POST /v1/queries` answer.
    public var madeFrom: String?

    public init(
        requestID: String, partner: String, partnerName: String?, contractVersion: String, purpose: String, consentID: String?,
        issuedAt: Date, subject: Subject, summary: Summary?, disclosed: [DisclosedItem], withheld: [WithheldItem],
        queryHistory: QueryHistory?, receiptKeySHA256: String?, receiptSuite: ReceiptSuite? = nil
    ) {
        format = Self.currentFormat
        self.requestID = requestID
        self.partner = partner
        self.partnerName = partnerName
        self.contractVersion = contractVersion
        self.purpose = purpose
        self.consentID = consentID
        self.issuedAt = issuedAt.formatted(.iso8601)
        self.subject = subject
        self.summary = summary
        self.disclosed = disclosed
        self.withheld = withheld
        self.queryHistory = queryHistory
        self.receiptKeySHA256 = receiptKeySHA256
        self.receiptSuite = receiptSuite
    }

    enum CodingKeys: String, CodingKey {
        case format, requestID = "request_id", partner, partnerName = "partner_name", contractVersion = "contract_version", purpose
        case consentID = "consent_id", issuedAt = "issued_at", subject, summary, disclosed, withheld, queryHistory = "query_history"
        case receiptKeySHA256 = "receipt_key_sha256", receiptSuite = "receipt_suite", madeFrom = "made_from"
    }

    /// The document as JSON: keys sorted, slashes unescaped (the bytes the receipt covers).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
