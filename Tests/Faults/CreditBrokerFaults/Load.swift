import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// One request a worker sends: which partner sends it, where, and with which `Idempotency-Key`.
struct PlannedRequest: Sendable {
    var partner: String
    var method: HTTPMethod = .POST
    var path = "/v1/queries"
    var body: String?
    var idempotencyKey: String?
    var headers: [(String, String)] = []
}

/// What came back: a status and body, or no answer at all (refused, reset, timed out).
struct Answer: Sendable {
    var status: Int?
    var body: [UInt8] = []
    var replayed = false
    var started: ContinuousClock.Instant
    var latency: Duration
    var failure: String?

    /// The `request_id` of a JSON answer.
    var requestID: String? { json?["request_id"] as? String }
    /// How many items the answer disclosed.
    var disclosedCount: Int { (json?["disclosed"] as? [Any])?.count ?? 0 }
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
    /// A problem's `type`, shortened to its last path component (`quota-exhausted`).
    var problemType: String? { (json?["type"] as? String)?.split(separator: "/").last.map(String.init) }
}

/// The partners' HTTP clients (AsyncHTTPClient, HTTP/1.1 keep-alive): one per bank with its client
/// certificate from the development PKI, one for every agency (each request carries its API key).
final class PartnerClients: Sendable {
    let pki: String
    private let banks: [String: HTTPClient]
    private let agencies: HTTPClient
    private let agencyKeys: [String: String]

    /// - Parameters:
    ///   - connections: most keep-alive connections per client and gateway port.
    ///   - connectTimeout: how long a new connection (TCP and the TLS handshake) may take. Short by
    ///     default, so that a request to a gateway that was killed fails fast; a scenario that opens
    ///     many connections at once to gateways that stay up gives them longer.
    init(pki: String, banks: [String], agencyKeys: [String: String], connections: Int, connectTimeout: Duration = .seconds(2), http2: Bool = false) throws {
        self.pki = pki
        self.agencyKeys = agencyKeys
        func client(_ bank: String?) throws -> HTTPClient {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(pki + "/ca.pem")
            if let bank {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(pki + "/clients/\(bank).pem").map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: pki + "/clients/\(bank)-key.pem", format: .pem))
            }
            var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
            configuration.httpVersion = http2 ? .automatic : .http1Only
            configuration.connectionPool = .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
            configuration.timeout = .init(connect: .nanoseconds(connectTimeout.nanoseconds), read: .seconds(20))
            return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        }
        var clients: [String: HTTPClient] = [:]
        for bank in banks { clients[bank] = try client(bank) }
        self.banks = clients
        agencies = try client(nil)
    }

    /// Sends one request to the gateway on `port` and waits at most `timeout` for the whole answer.
    func send(_ planned: PlannedRequest, port: Int, timeout: Duration = .seconds(20)) async -> Answer {
        let started = ContinuousClock.now
        var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)\(planned.path)")
        request.method = planned.method
        let client: HTTPClient
        if let bank = banks[planned.partner] {
            client = bank
        } else {
            client = agencies
            if let key = agencyKeys[planned.partner] { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        }
        if let body = planned.body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        if let key = planned.idempotencyKey { request.headers.add(name: "Idempotency-Key", value: key) }
        for (name, value) in planned.headers { request.headers.add(name: name, value: value) }
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            let body = try await response.body.collect(upTo: 1 << 24)
            return Answer(
                status: Int(response.status.code), body: Array(body.readableBytesView),
                replayed: response.headers.first(name: "Idempotent-Replayed") == "true",
                started: started, latency: ContinuousClock.now - started
            )
        } catch {
            return Answer(status: nil, started: started, latency: ContinuousClock.now - started, failure: "\(error)")
        }
    }

    func shutdown() async {
        for client in banks.values { try? await client.shutdown() }
        try? await agencies.shutdown()
    }
}

extension Duration {
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
    var milliseconds: Double { Double(components.seconds) * 1_000 + Double(components.attoseconds) * 1e-15 }
    var seconds: Double { milliseconds / 1_000 }
}

/// Closed-loop workers: each sends its next planned request when the previous one is answered, until
/// stopped. After an unanswered request a worker pauses briefly (the gateway is down: no busy loop).
final class Load: Sendable {
    let clients: PartnerClients
    private let ports: Mutex<[Int]>
    private let stopped = Atomic<Bool>(false)
    private let tasks = Mutex<[Task<Void, Never>]>([])

    init(clients: PartnerClients, ports: [Int]) {
        self.clients = clients
        self.ports = Mutex(ports)
    }

    /// Starts `workers` workers; worker `w`'s `n`th request is `plan(w, n)` (nil: the worker stops),
    /// sent to the gateway `ports[w % ports.count]`; every exchange goes to `record`.
    func start(
        workers: Int, timeout: Duration = .seconds(20),
        plan: @escaping @Sendable (_ worker: Int, _ n: Int) -> PlannedRequest?,
        record: @escaping @Sendable (_ worker: Int, PlannedRequest, Answer) -> Void
    ) {
        for worker in 0..<workers {
            let task = Task {
                var n = 0
                while !stopped.load(ordering: .relaxed), let planned = plan(worker, n) {
                    n += 1
                    let port = ports.withLock { $0[worker % $0.count] }
                    let answer = await clients.send(planned, port: port, timeout: timeout)
                    record(worker, planned, answer)
                    if answer.status == nil { try? await Task.sleep(for: .milliseconds(20)) }
                }
            }
            tasks.withLock { $0.append(task) }
        }
    }

    /// Stops the workers after their requests in flight and waits for them.
    func stop() async {
        stopped.store(true, ordering: .relaxed)
        for task in tasks.withLock({ $0 }) { await task.value }
    }
}

/// The query bodies the scenarios send.
enum Bodies {
    static let bankItems = ["enterprise.registration", "enterprise.penalty", "enterprise.customs_credit_level"]
    static let agencyItems = ["enterprise.registration", "enterprise.penalty"]

    /// An organisation query for `partner` (a bank: purpose `credit_approval`, an agency: `credit_report`).
    static func query(partner: String, subject: String) -> String {
        let bank = partner.hasPrefix("bank.")
        let items = (bank ? bankItems : agencyItems).map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"subject":""# + subject + #"","purpose":""# + (bank ? "credit_approval" : "credit_report") + #"","items":["# + items + "]}"
    }

    /// A bank's query about a person (decided, withheld for want of a consent, metered).
    static func personQuery(subject: String) -> String {
        #"{"subject":""# + subject + #"","purpose":"credit_approval","items":["person.dishonest_debtor","enterprise.registration"]}"#
    }
}

/// Percentiles of latencies, in milliseconds.
func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let rank = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))
    return sorted[rank]
}

/// A value shared between concurrent workers (a `Mutex` in a class, so closures can capture it).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try mutex.withLock { try body(&$0) }
    }

    var value: Value { mutex.withLock { $0 } }
}
