import ArgumentParser
import BrokerCore
import Foundation

/// Item decisions per second for 60-item requests against the shipped contracts, on one core.
struct DecisionsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decisions",
        abstract: "Item decisions per second against the compiled contracts, beside plain lookups of the same pairs."
    )

    @Option(help: "The repository root holding Policies/ and Contracts/.")
    var root = "."

    @Option(help: "Timed runs per measurement; the median is reported.")
    var runs = 5

    @Option(help: "Seconds per timed run.")
    var seconds = 1.0

    /// One prepared request: the engine's input plus the same pairs as strings for the baselines.
    /// A class, so the timed loops pass a reference rather than copying five fields per request.
    final class Prepared {
        let request: DecisionRequest
        /// The request's consent compiled once, as a caller deciding many requests for it would hold it.
        let consent: CompiledConsent?
        let partnerIndex: Int
        let partnerID: String
        let itemIDs: [String]
        let itemIndices: [Int]

        init(
            request: DecisionRequest, consent: CompiledConsent?, partnerIndex: Int, partnerID: String, itemIDs: [String],
            itemIndices: [Int]
        ) {
            self.request = request
            self.consent = consent
            self.partnerIndex = partnerIndex
            self.partnerID = partnerID
            self.itemIDs = itemIDs
            self.itemIndices = itemIndices
        }
    }

    func run() async throws {
        let policies = try loadPolicies()
        let contractsURL = URL(filePath: root).appending(path: "Contracts")
        let files = try FileManager.default.contentsOfDirectory(atPath: contractsURL.path()).filter { $0.hasSuffix(".yaml") }.sorted().map {
            ($0, try String(contentsOf: contractsURL.appending(path: $0), encoding: .utf8))
        }
        let now = CivilDate("2026-11-30")!.start().addingTimeInterval(10 * 3_600)
        let contracts = try ContractSet(files: files, policies: policies).governing(on: CivilDate(now))
        let engine = DecisionEngine(contracts: contracts, catalog: policies.catalog, purposes: policies.purposes)
        let prepared = prepare(contracts, engine: engine, catalog: policies.catalog, at: now)
        let conditional = prepared.reduce(0) { count, request in
            count + request.itemIDs.count { contracts[request.partnerIndex].grants[$0]?.sharingClass == .conditional }
        }
        let total = prepared.reduce(0) { $0 + $1.itemIDs.count }
        print("\(contracts.count) contracts, \(prepared.count) requests of 60 items, \(conditional * 100 / total)% of them conditional cells")

        // Baseline 1: a dictionary from (partner id, item id) to the class, as a naive gateway would hold.
        var classes: [String: SharingClass] = [:]
        for contract in contracts {
            for (item, grant) in contract.grants { classes[contract.partnerID + "|" + item] = grant.sharingClass }
        }
        // Baseline 2: the same dense table the engine reads, without looking at any condition.
        let itemCount = policies.catalog.items.count
        var table = [SharingClass?](repeating: nil, count: contracts.count * itemCount)
        for (row, contract) in contracts.enumerated() {
            for (column, item) in policies.catalog.items.enumerated() { table[row * itemCount + column] = contract.grants[item.id]?.sharingClass }
        }

        let engineRate = measure(prepared) { request in
            engine.decide(request.request).items.count { $0.isDisclosed }
        }
        let compiledRate = measure(prepared) { request in
            engine.decide(request.request, consent: request.consent).items.count { $0.isDisclosed }
        }
        let dictionaryRate = measure(prepared) { request in
            request.itemIDs.count { classes[request.partnerID + "|" + $0] == .unconditional }
        }
        let tableRate = measure(prepared) { request in
            let base = request.partnerIndex * itemCount
            return request.itemIndices.count { table[base + $0] == .unconditional }
        }
        print("decision engine:               \(format(engineRate)) item decisions/s")
        print("engine, consent compiled once: \(format(compiledRate)) item decisions/s  (ratio \(String(format: "%.2f", compiledRate / engineRate))x)")
        print("baseline dictionary lookup:    \(format(dictionaryRate)) lookups/s  (engine ratio \(String(format: "%.2f", engineRate / dictionaryRate))x)")
        print("baseline table, no conditions: \(format(tableRate)) lookups/s  (engine ratio \(String(format: "%.2f", engineRate / tableRate))x)")
    }

    private func loadPolicies() throws -> PolicyBundle {
        func file(_ path: String) throws -> (file: String, text: String) {
            (path, try String(contentsOf: URL(filePath: root).appending(path: path), encoding: .utf8))
        }
        return try PolicyBundle(
            catalog: file("Policies/catalog.yaml"), masking: file("Policies/masking.yaml"),
            purposes: file("Policies/purposes.yaml"), defaults: file("Policies/partner-defaults.yaml")
        )
    }

    /// 1,000 requests: random partners, 60 random items each, mostly allowed purposes, half with a consent.
    private func prepare(_ contracts: [Contract], engine: DecisionEngine, catalog: Catalog, at now: Date) -> [Prepared] {
        var rng = SystemRandomNumberGenerator()
        let items = catalog.items.map(\.id)
        return (0..<1_000).map { _ in
            let partnerIndex = Int.random(in: 0..<contracts.count, using: &rng)
            let contract = contracts[partnerIndex]
            let itemIndices = (0..<60).map { _ in Int.random(in: 0..<items.count, using: &rng) }
            // Half the requests declare a purpose of the contract, half credit_approval (which agencies lack).
            let purpose = Bool.random(using: &rng) ? contract.purposes.randomElement(using: &rng)! : "credit_approval"
            let consent = Bool.random(using: &rng) ? Consent(
                id: "c", subject: "s", purposes: [purpose], items: itemIndices.prefix(30).map { items[$0] }, categories: ["tax"],
                validFrom: now.addingTimeInterval(-86_400), validTo: now.addingTimeInterval(86_400), useLimit: .unlimited, documentDigest: "d"
            ) : nil
            let request = DecisionRequest(
                partner: engine.partner(contract.partnerID)!, subject: "s", items: itemIndices.map { engine.item(items[$0])! },
                purpose: engine.purpose(purpose)!, consent: consent, at: now, quotaUsage: QuotaUsage(today: 10, thisMonth: 100)
            )
            return Prepared(
                request: request, consent: consent.map(engine.compile), partnerIndex: partnerIndex, partnerID: contract.partnerID, itemIDs: itemIndices.map { items[$0] }, itemIndices: itemIndices)
        }
    }

    /// Median items per second over `runs` runs of about `seconds` each; `body` returns a count kept alive.
    private func measure(_ requests: [Prepared], _ body: (Prepared) -> Int) -> Double {
        let clock = ContinuousClock()
        var sink = 0
        var rates: [Double] = []
        for _ in 0..<runs {
            var items = 0
            let start = clock.now
            var elapsed = Duration.zero
            while elapsed < .seconds(seconds) {
                for request in requests {
                    sink &+= body(request)
                    items += request.itemIndices.count
                }
                elapsed = clock.now - start
            }
            let (whole, attoseconds) = elapsed.components
            rates.append(Double(items) / (Double(whole) + Double(attoseconds) * 1e-18))
        }
        if sink == -1 { print("unreachable") }
        return rates.sorted()[rates.count / 2]
    }

    private func format(_ rate: Double) -> String {
        String(format: "%12.0f", rate)
    }
}
