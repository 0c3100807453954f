import BrokerCore
import BrokerStore
import Crypto
import Formats
import Foundation
import PostgresClient

/// A partner's meter events of a period (China-time days), one line each, for finance and for the
/// partner's own reconciliation: as CSV (`CSV`) or newline-delimited JSON, written page by page
/// (never the whole period in memory), with a manifest (count, sums, SHA-256 of the exact bytes)
/// so that the receiver can check it has all of it.
///
/// An event names its subject only by the meter's keyed hash, never by its identifier. `billed`
/// applies `BillingRules`, so the billed lines of a month are the calls its statement prices.
public struct UsageExport: Sendable {
    public enum Format: String, Sendable, Hashable, Codable, CaseIterable {
        case csv
        /// Newline-delimited JSON: one object per event, keys sorted.
        case ndjson

        public var contentType: String {
            switch self {
            case .csv: "text/csv; charset=utf-8"
            case .ndjson: "application/x-ndjson"
            }
        }
    }

    /// What an export holds, for its receiver to check.
    public struct Manifest: Sendable, Hashable, Codable {
        public struct Sums: Sendable, Hashable, Codable {
            public var itemsDisclosed = 0
            public var itemsWithheld = 0
            public var responseBytes = 0
            /// Events billed (`BillingRules`).
            public var billed = 0

            enum CodingKeys: String, CodingKey {
                case itemsDisclosed = "items_disclosed", itemsWithheld = "items_withheld", responseBytes = "response_bytes", billed
            }
        }

        public let partner: String
        public let from: CivilDate
        public let to: CivilDate
        public let format: Format
        /// The file name the export is offered as.
        public let file: String
        /// Events (lines after the CSV header).
        public let count: Int
        public let sums: Sums
        /// The export's length and SHA-256 (64 lowercase hex digits), of its exact bytes.
        public let bytes: Int
        public let sha256: String

        /// The manifest as JSON (sorted keys), as the API and `billing export` write it.
        public var json: Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
            return try! encoder.encode(self)
        }
    }

    /// Why an export is refused.
    public struct Refusal: Error, Sendable, Hashable {
        public let field: String
        public let reason: String
    }

    /// The CSV columns, and the NDJSON keys.
    public static let columns = [
        "request_id", "occurred_at", "route", "purpose", "status", "items_disclosed", "items_withheld", "consent_id", "contract_version",
        "latency_us", "response_bytes", "subject_hash", "billed", "not_billed",
    ]
    /// The longest period one export covers.
    public static let maximumDays = 366
    /// The first and last day an export may name.
    public static let earliest = CivilDate(year: 1970, month: 1, day: 1)!
    public static let latest = CivilDate(year: 9999, month: 12, day: 30)!

    public let pool: PostgresPool
    /// Events fetched per round trip.
    public let pageSize: Int

    public init(pool: PostgresPool, pageSize: Int = 5_000) {
        self.pool = pool
        self.pageSize = pageSize
    }

    /// Checks a period as exports take it.
    public static func check(from: CivilDate, to: CivilDate) throws(Refusal) {
        guard from <= to else { throw Refusal(field: "from", reason: "from must not be after to") }
        // The database's timestamps hold neither year 0 nor a year past 9999 (and the ledger nothing before 1970).
        guard from >= earliest else { throw Refusal(field: "from", reason: "from must not be before \(earliest)") }
        guard to <= latest else { throw Refusal(field: "to", reason: "to must not be after \(latest)") }
        guard to.dayNumber - from.dayNumber < maximumDays else {
            throw Refusal(field: "to", reason: "to is more than \(maximumDays) days from from (both included); export at most \(maximumDays) days at once")
        }
    }

    /// The name an export is offered as: `usage-agency.nj_anxin-2026-12-01-2026-12-31.csv`.
    public static func fileName(partner: String, from: CivilDate, to: CivilDate, format: Format) -> String {
        "usage-\(partner)-\(from)-\(to).\(format.rawValue)"
    }

    /// Writes the partner's events from `from` to `to` (both inclusive, China time), oldest first,
    /// to `sink` a page at a time, and returns the manifest of what was written.
    public func write(
        partner: String, from: CivilDate, to: CivilDate, format: Format, to sink: ([UInt8]) async throws -> Void
    ) async throws -> Manifest {
        try Self.check(from: from, to: to)
        var hash = SHA256()
        var bytes = 0
        var count = 0
        var sums = Manifest.Sums()
        func emit(_ chunk: [UInt8]) async throws {
            hash.update(data: chunk)
            bytes += chunk.count
            try await sink(chunk)
        }
        if format == .csv {
            var header: [UInt8] = []
            CSV.appendRecord(Self.columns, to: &header)
            try await emit(header)
        }
        var after: (time: String, id: Int64)?
        while true {
            let rows = try await pool.execute(Self.page, [
                partner, from.start(), to.adding(days: 1).start(), after?.time, after?.id, pageSize,
                TextArrayParameter(BillingRules.callRoutes), BillingRules.batchRoute,
            ])
            var chunk: [UInt8] = []
            for row in rows {
                let event = try Event(row)
                count += 1
                sums.itemsDisclosed += event.disclosed.count
                sums.itemsWithheld += event.withheld.count
                sums.responseBytes += event.responseBytes
                if event.unbilled == nil { sums.billed += 1 }
                switch format {
                case .csv: event.appendCSV(to: &chunk)
                case .ndjson: event.appendJSONLine(to: &chunk)
                }
            }
            if let last = rows.last { after = (try last.decode(String.self, at: 0), try last.decode(Int64.self, at: 1)) }
            if !chunk.isEmpty { try await emit(chunk) }
            if rows.count < pageSize { break }
        }
        return Manifest(
            partner: partner, from: from, to: to, format: format, file: Self.fileName(partner: partner, from: from, to: to, format: format),
            count: count, sums: sums, bytes: bytes, sha256: hash.finalize().lowercaseHex
        )
    }

    /// One page after the key (`$4` the last event's `occurred_at` as PostgreSQL wrote it, exact;
    /// `$5` its id), oldest first.
    private static let page = PostgresStatement(unsafeSQL: """
        SELECT occurred_at::text, id, request_id,
               to_char(occurred_at AT TIME ZONE 'UTC' + interval '8 hours', 'YYYY-MM-DD"T"HH24:MI:SS.US"+08:00"'),
               endpoint, purpose, http_status, items_disclosed, items_withheld, consent_id, partner_id, contract_label, contract_digest,
               latency_us, response_bytes, subject_hash, \(BillingRules.unbilledSQL(callRoutes: 7, batchRoute: 8))
        FROM meter_events
        WHERE partner_id = $1 AND occurred_at >= $2 AND occurred_at < $3
          AND ($4::timestamptz IS NULL OR (occurred_at, id) > ($4::timestamptz, $5::bigint))
        ORDER BY occurred_at, id
        LIMIT $6
        """)

    /// One exported event.
    private struct Event {
        struct Withheld: Codable, Sendable {
            let item: String
            let reason: String
        }

        let requestID: String
        let occurredAt: String
        let route: String
        let purpose: String?
        let status: Int
        let disclosed: [String]
        let withheld: [Withheld]
        let consentID: String?
        let contractVersion: String
        let latency: Int64
        let responseBytes: Int
        let subjectHash: String?
        let unbilled: String?

        init(_ row: PostgresRow) throws {
            requestID = try row.decode(at: 2)
            occurredAt = try row.decode(at: 3)
            route = try row.decode(at: 4)
            purpose = try row.decode(at: 5)
            status = try row.decode(at: 6)
            disclosed = try row.decode(PostgresJSON<[String]>.self, at: 7).value
            withheld = try row.decode(PostgresJSON<[Withheld]>.self, at: 8).value
            consentID = try row.decode(at: 9)
            contractVersion = ContractVersion.describe(partnerID: try row.decode(at: 10), label: try row.decode(at: 11), digest: try row.decode(at: 12))
            latency = try row.decode(at: 13)
            responseBytes = try row.decode(at: 14)
            subjectHash = try row.decode(at: 15)
            unbilled = try row.decode(at: 16)
        }

        func appendCSV(to buffer: inout [UInt8]) {
            CSV.appendRecord([
                requestID, occurredAt, route, purpose ?? "", String(status), disclosed.joined(separator: " "),
                withheld.map { "\($0.item):\($0.reason)" }.joined(separator: " "), consentID ?? "", contractVersion, String(latency),
                String(responseBytes), subjectHash ?? "", unbilled == nil ? "true" : "false", unbilled ?? "",
            ], to: &buffer)
        }

        func appendJSONLine(to buffer: inout [UInt8]) {
            func text(_ value: String?) -> AnswerValue { value.map(AnswerValue.string) ?? .null }
            AnswerValue.object([
                "request_id": .string(requestID), "occurred_at": .string(occurredAt), "route": .string(route), "purpose": text(purpose),
                "status": .int(Int64(status)), "items_disclosed": .array(disclosed.map(AnswerValue.string)),
                "items_withheld": .array(withheld.map { .object(["item": .string($0.item), "reason": .string($0.reason)]) }),
                "consent_id": text(consentID), "contract_version": .string(contractVersion), "latency_us": .int(latency),
                "response_bytes": .int(Int64(responseBytes)), "subject_hash": text(subjectHash), "billed": .bool(unbilled == nil),
                "not_billed": text(unbilled),
            ]).writeJSON(to: &buffer)
            buffer.append(UInt8(ascii: "\n"))
        }
    }
}
