import BrokerCore
import BrokerStore
import Foundation
import Ingest
import PostgresClient
import Synchronization
import TestSupport

/// A migrated fresh database, the repository's catalog and masking policy, a random person-key
/// secret, and helpers to write feed files and ingest them.
struct IngestFixture {
    let pool: PostgresPool
    let catalog: Catalog
    let masking: MaskingPolicy
    let hasher: PersonKeyHasher
    let folder: String
    /// Open the statements kept beside confirmed records (none are sealed in these tests).
    let keys: SealingKeys

    /// A valid USCC (enterprise, Nanjing Xuanwu).
    static let company = try! UnifiedSocialCreditCode(type: .enterprise, division: 320102, organisationCode: "MA1XXXXX").rawValue
    static let otherCompany = try! UnifiedSocialCreditCode(type: .enterprise, division: 320105, organisationCode: "MA2YYYYY").rawValue
    /// The worked example of GB 11643.
    static let person = "11010519491231002X"

    static func make(_ label: String = #function) async throws -> IngestFixture {
        // Two connections for three concurrent loads and a reader in the busiest test: the loads
        // take turns. The wait in line is generous (the default 10 s ran out once in a full run at
        // load 14, where the test took 248 s; it takes 2 s alone); the timeout has its own test.
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(label), maxConnections: 2, acquireTimeout: .seconds(120)))
        try await Migrator(pool: pool).migrate()
        let policies = try Fixtures.policies()
        let hasher = try PersonKeyHasher(secret: (0..<32).map { _ in UInt8.random(in: 0...255) })
        return IngestFixture(
            pool: pool, catalog: policies.catalog, masking: policies.masking, hasher: hasher, folder: TestPostgres.temporaryFolder(),
            keys: try TestSealingKeys.fresh()
        )
    }

    func ingestor(batchSize: Int = 10_000) -> FeedIngestor {
        FeedIngestor(writer: RecordWriter(pool: pool), catalog: catalog, masking: masking, hasher: hasher, batchSize: batchSize)
    }

    var store: RecordStore { RecordStore(pool: pool, catalog: catalog, keys: keys) }

    /// Writes `bytes` to `name` in the fixture's folder and returns its path.
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = folder + "/" + name
        try Data(bytes).write(to: URL(filePath: path))
        return path
    }

    /// Writes `lines`, each followed by a line break.
    func write(_ name: String, lines: [String]) throws -> String {
        try write(name, Array(lines.map { $0 + "\n" }.joined().utf8))
    }

    /// Ingests `path` and returns the summary and every rejection.
    func ingest(_ path: String, source: String = "jiangsu_public_credit", batchSize: Int = 10_000) async throws -> (IngestSummary, [LineFault]) {
        let (summary, rejections, _) = try await ingestReportingWarnings(path, source: source, batchSize: batchSize)
        return (summary, rejections)
    }

    /// Ingests `path` and returns the summary, every rejection and every warning.
    func ingestReportingWarnings(
        _ path: String, source: String = "jiangsu_public_credit", batchSize: Int = 10_000
    ) async throws -> (IngestSummary, [LineFault], [LineFault]) {
        let rejections = RejectionLog()
        let warnings = Mutex<[LineFault]>([])
        let summary = try await ingestor(batchSize: batchSize).ingest(
            file: path, source: source, onReject: { rejections.append($0) }, onWarning: { warning in warnings.withLock { $0.append(warning) } })
        return (summary, rejections.all, warnings.withLock { $0 })
    }

    func close() async {
        await pool.close()
    }

    /// A penalty record line.
    static func penalty(
        _ id: String, subject: String = company, decided: String? = "2026-05-10", severity: String = "general",
        amount: String = "5000"
    ) -> String {
        let decision = decided.map { #","decision_date":"\#($0)""# } ?? ""
        return #"{"type":"record","item":"enterprise.penalty","subject":"\#(subject)","source_record_id":"\#(id)"\#(decision),"#
            + #""fields":{"decision_no":"宁市监罚〔2026〕1号","authority":"南京市市场监督管理局","violation":"虚假宣传","#
            + #""penalty_type":"fine","amount":\#(amount),"severity":"\#(severity)"}}"#
    }

    /// A status event line.
    static func event(_ kind: String, _ id: String, item: String = "enterprise.penalty", subject: String = company, date: String = "2026-06-01") -> String {
        #"{"type":"event","event":"\#(kind)","item":"\#(item)","subject":"\#(subject)","source_record_id":"\#(id)","date":"\#(date)"}"#
    }
}

/// Collects rejections from the ingest callback.
final class RejectionLog: @unchecked Sendable {
    private let lock = NSLock()
    private var rejections: [LineFault] = []

    func append(_ rejection: LineFault) {
        lock.withLock { rejections.append(rejection) }
    }

    var all: [LineFault] { lock.withLock { rejections } }
}

/// Collects the per-file totals an ingest run reports as each file finishes.
final class FinishedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var finished: [(path: String, summary: IngestSummary)] = []

    func append(_ path: String, _ summary: IngestSummary) {
        lock.withLock { finished.append((path, summary)) }
    }

    var paths: [String] { lock.withLock { finished.map(\.path) } }
    var summaries: [IngestSummary] { lock.withLock { finished.map(\.summary) } }
}
