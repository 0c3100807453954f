import BrokerCore
import BrokerStore
import ChildProcesses
import Foundation
import PostgresClient
import TestSupport
import Testing

/// `credit-broker contracts check | diff | explain | apply | show`, run as the real binary.
@Suite struct ContractsCommandTests {
    static let root = Repository.root
    static let policyOptions = ["--catalog", root.appending(path: "Policies/catalog.yaml").path, "--policies", root.appending(path: "Policies").path]
    static let shipped = root.appending(path: "Contracts").path
    static let icbc = root.appending(path: "Contracts/bank.icbc_jiangsu.yaml")

    /// A valid agency contract to break in the tests.
    static let agency = """
        partner: agency.test_one
        legal_name: 测试信用管理有限公司
        kind: credit_agency
        version: t.1
        term: { from: 2026-01-01, to: 2026-12-31 }
        authentication:
          api_keys: [ak_0123456789abcdef]
        purposes: [credit_report]
        items:
          market.tax_paid: { class: conditional, consent: required }
        """

    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await ChildProcess.start(CommandLineTests.binary, arguments).wait()
    }

    /// Runs the binary with its standard output and standard error kept apart.
    static func runApart(_ arguments: [String]) async throws -> (status: Int32, output: String, errors: String) {
        let errors = TestPostgres.temporaryFolder() + "/stderr"
        let (status, output) = try await ChildProcess.start(
            "/bin/sh", ["-c", #"exec "$0" "$@" 2>"$CONTRACTS_TEST_STDERR""#, CommandLineTests.binary] + arguments,
            environment: ["CONTRACTS_TEST_STDERR": errors]
        ).wait()
        return (status, output, (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")
    }

    /// A fresh folder holding `files` (name → text).
    static func folder(_ files: [String: String]) throws -> String {
        let path = TestPostgres.temporaryFolder()
        for (name, text) in files {
            try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
        }
        return path
    }

    /// The shipped ICBC contract with `market.real_estate` moved from conditional to `none` and a new label.
    static func changedICBC() throws -> String {
        try String(contentsOf: icbc, encoding: .utf8)
            .replacingOccurrences(of: "version: 2026-11-01.1", with: "version: 2026-12-01.1")
            .replacingOccurrences(of: "market.real_estate: { class: conditional, purposes: [credit_approval], consent: required }", with: "market.real_estate: none")
    }

    @Test func checkPassesOnTheShippedContracts() async throws {
        let (status, output) = try await Self.run(["contracts", "check", Self.shipped] + Self.policyOptions)
        #expect(status == 0, "\(output)")
        #expect(output.contains("73 contracts OK (13 bank, 57 credit_agency, 1 joint_credit, 1 portal, 1 data_source)"))
    }

    @Test(arguments: [
        ("unknown item", ["a.yaml": agency.replacingOccurrences(of: "market.tax_paid:", with: "market.tax_pain:")],
         "a.yaml:10: the contract names unknown item 'market.tax_pain'"),
        ("unknown purpose", ["a.yaml": agency.replacingOccurrences(of: "[credit_report]", with: "[credit_report, gossip]")],
         "a.yaml:8: the contract purposes names unknown purpose 'gossip'"),
        ("conditional without conditions", ["a.yaml": agency.replacingOccurrences(of: "{ class: conditional, consent: required }", with: "conditional")],
         "a.yaml:10: the contract item 'market.tax_paid' is conditional without conditions"),
        ("duplicate partner", ["a.yaml": agency, "b.yaml": agency.replacingOccurrences(of: "ak_0123456789abcdef", with: "ak_fedcba9876543210")],
         "b.yaml:1: duplicate partner id 'agency.test_one': "),
        ("malformed YAML", ["a.yaml": agency.replacingOccurrences(of: "to: 2026-12-31 }", with: "to: 2026-12-31")],
         "a.yaml:6: malformed YAML"),
    ])
    func checkReportsEachKindOfBrokenFile(kind: String, files: [String: String], expected: String) async throws {
        let folder = try Self.folder(files)
        let (status, output) = try await Self.run(["contracts", "check", folder] + Self.policyOptions)
        #expect(status != 0, "\(kind)")
        let lines = output.split(separator: "\n").map { $0.replacingOccurrences(of: folder + "/", with: "") }
        #expect(lines.contains { $0.hasPrefix(expected) }, "\(kind): \(output)")
    }

    @Test func diffShowsWhatAPartnerLoses() async throws {
        let folder = try Self.folder(["bank.icbc_jiangsu.yaml": Self.changedICBC()])
        let (status, output) = try await Self.run(["contracts", "diff", Self.icbc.path, folder, "--at", "2026-06-01"] + Self.policyOptions)
        #expect(status == 0, "\(output)")
        #expect(output.contains("bank.icbc_jiangsu loses item market.real_estate: conditional (purposes: credit_approval; consent required, item scope) → none"))
        #expect(output.contains("1 change(s)"))
        let same = try await Self.run(["contracts", "diff", Self.icbc.path, Self.icbc.path] + Self.policyOptions)
        #expect(same.output.contains("no differences"))
    }

    @Test func explainGivesTheReasonAndWhatUnlocksIt() async throws {
        let base = ["contracts", "explain", "bank.icbc_jiangsu", "market.real_estate", "--purpose", "credit_approval",
                    "--contracts", Self.shipped, "--at", "2026-06-01"] + Self.policyOptions
        let withheld = try await Self.run(base)
        #expect(withheld.status == 0, "\(withheld.output)")
        #expect(withheld.output.contains("decision  withheld: consent_missing"))
        #expect(withheld.output.contains("unlock    a consent covering market.real_estate for purpose credit_approval"))

        let consent = #"{"id":"cs_1","subject":"91350100M000100Y43","purposes":["credit_approval"],"items":["market.real_estate"],"categories":[],"valid_from":"2026-01-01T00:00:00Z","valid_to":"2027-01-01T00:00:00Z","use_limit":"once","uses_so_far":0,"revoked":false,"document_digest":"00"}"#
        let folder = try Self.folder(["consent.json": consent])
        let disclosed = try await Self.run(base + ["--consent", folder + "/consent.json"])
        #expect(disclosed.output.contains("decision  disclosed, masked with profile bank"), "\(disclosed.output)")
    }

    /// What `GET /v1/consents/{id}` answers is what a partner or operator has at hand.
    @Test func explainReadsTheConsentAsTheAPIShowsIt() async throws {
        let base = ["contracts", "explain", "bank.icbc_jiangsu", "market.real_estate", "--purpose", "credit_approval",
                    "--contracts", Self.shipped, "--at", "2026-06-01"] + Self.policyOptions
        func shown(uses: Int, status: String, revokedAt: String) -> String {
            #"{"id":"cs_1","subject":"913501********0Y43","purposes":["credit_approval"],"items":["market.real_estate"],"categories":[],"valid_from":"2026-01-01T00:00:00Z","valid_to":"2027-01-01T00:00:00Z","use_limit":5,"uses":\#(uses),"status":"\#(status)","document_digest":"00","created_at":"2026-01-01T00:00:00Z","revoked_at":\#(revokedAt)}"#
        }
        let folder = try Self.folder([
            "active.json": shown(uses: 2, status: "active", revokedAt: "null"),
            "revoked.json": shown(uses: 2, status: "revoked", revokedAt: #""2026-03-01T00:00:00Z""#),
            "used-up.json": shown(uses: 5, status: "used_up", revokedAt: "null"),
        ])
        let active = try await Self.run(base + ["--consent", folder + "/active.json"])
        #expect(active.status == 0 && active.output.contains("decision  disclosed, masked with profile bank"), "\(active.output)")
        let revoked = try await Self.run(base + ["--consent", folder + "/revoked.json"])
        #expect(revoked.status == 0 && revoked.output.contains("decision  withheld: consent_missing"), "\(revoked.output)")
        let usedUp = try await Self.run(base + ["--consent", folder + "/used-up.json"])
        #expect(usedUp.status == 0 && usedUp.output.contains("decision  withheld: consent_exhausted"), "\(usedUp.output)")
    }

    @Test func aMissingPolicyFileNamesItselfAndTheOptionToGive() async throws {
        let folder = TestPostgres.temporaryFolder()
        let catalog = try await Self.run(["contracts", "check", Self.shipped, "--catalog", folder + "/catalog.yaml"])
        #expect(catalog.status != 0)
        #expect(catalog.output.contains("cannot read \(folder)/catalog.yaml: give --catalog, or run in the repository folder"), "\(catalog.output)")
        let policies = try await Self.run(["contracts", "check", Self.shipped, "--catalog", Self.policyOptions[1], "--policies", folder])
        #expect(policies.output.contains("cannot read \(folder)/masking.yaml: give --policies"), "\(policies.output)")
    }

    @Test func explainNamesTheConsentFileAndWhatIsWrongWithIt() async throws {
        let base = ["contracts", "explain", "bank.icbc_jiangsu", "market.real_estate", "--purpose", "credit_approval",
                    "--contracts", Self.shipped] + Self.policyOptions
        // Neither `uses` (the API's) nor `uses_so_far`: the error names the API's member.
        let usesless = #"{"id":"cs_1","subject":"913501********0Y43","purposes":["credit_approval"],"items":["market.real_estate"],"categories":[],"valid_from":"2026-01-01T00:00:00Z","valid_to":"2027-01-01T00:00:00Z","use_limit":5,"status":"active","document_digest":"00"}"#
        let folder = try Self.folder(["usesless.json": usesless, "broken.json": "{"])
        let wrongShape = try await Self.run(base + ["--consent", folder + "/usesless.json"])
        #expect(wrongShape.status != 0)
        #expect(wrongShape.output.contains("--consent \(folder)/usesless.json: not a consent: member 'uses' is missing"), "\(wrongShape.output)")
        #expect(!wrongShape.output.contains("DecodingError"), "\(wrongShape.output)")
        let broken = try await Self.run(base + ["--consent", folder + "/broken.json"])
        #expect(broken.output.contains("--consent \(folder)/broken.json: not a consent: not valid JSON"), "\(broken.output)")
        let absent = try await Self.run(base + ["--consent", folder + "/absent.json"])
        #expect(absent.output.contains("--consent \(folder)/absent.json: cannot read the file"), "\(absent.output)")
    }

    /// `contracts apply` turns changed files into proposals through the lifecycle the admin API uses
    /// (nothing changes until someone else approves); `contracts show` reads the ledger by the rule
    /// the gateway serves by.
    @Test func applyProposesChangedFilesAndShowReadsTheLedger() async throws {
        let database = try await TestPostgres.freshDatabase()
        let conninfo = try #require(database.conninfo)
        let pool = PostgresPool(.init(connection: database, maxConnections: 1))
        try await Migrator(pool: pool).migrate()
        let shipped = try Fixtures.contractFiles()
        #expect(try await ContractStore(pool: pool).seedIfEmpty({ shipped }, by: .commandLine("test", partner: nil, status: 201, detail: "seeded")) == 73)

        let apply = ["contracts", "apply", "--database-url", conninfo] + Self.policyOptions
        let unchanged = try await Self.run(apply + [Self.shipped])
        #expect(unchanged.status == 0, "\(unchanged.output)")
        #expect(unchanged.output.contains("0 proposal(s); 73 contract(s) unchanged"), "\(unchanged.output)")

        let changed = try Self.folder(["bank.icbc_jiangsu.yaml": Self.changedICBC()])
        let proposed = try await Self.run(apply + [changed, "--reason", "narrow real estate"])
        #expect(proposed.output.contains("bank.icbc_jiangsu@2026-12-01.1#"), "\(proposed.output)")
        #expect(proposed.output.contains("(amend)"), "\(proposed.output)")
        #expect(proposed.output.contains("1 proposal(s); 0 contract(s) unchanged"), "\(proposed.output)")
        // A proposal changes nothing until approved.
        let before = try await Self.run(["contracts", "show", "bank.icbc_jiangsu", "--database-url", conninfo])
        #expect(before.output.contains("version   bank.icbc_jiangsu@2026-11-01.1#"), "\(before.output)")

        let broken = try Self.folder(["a.yaml": Self.agency.replacingOccurrences(of: "market.tax_paid:", with: "market.tax_pain:")])
        let refused = try await Self.run(apply + [broken])
        #expect(refused.status != 0)
        #expect(refused.output.contains("a.yaml:10: the contract names unknown item 'market.tax_pain'"))

        let proposal = try #require(try await pool.transaction { try await ContractLifecycle.proposals(status: .proposed, partner: nil, limit: 10, on: $0) }.first)
        #expect(proposal.proposer.via == "cli" && proposal.reason == "narrow real estate")
        let security = ChangeActor(fingerprint: String(repeating: "b", count: 64), subject: "CN=Security Administrator,OU=admin-security,O=CreditBroker,C=CN")
        _ = try await pool.transaction { try await ContractLifecycle.approve(proposal.id, reason: "ok", by: security, on: $0) }

        let today = try await Self.run(["contracts", "show", "bank.icbc_jiangsu", "--database-url", conninfo])
        #expect(today.status == 0, "\(today.output)")
        #expect(today.output.contains("version   bank.icbc_jiangsu@2026-12-01.1#"), "\(today.output)")
        #expect(today.output.contains("approved  by CN=Security Administrator"), "\(today.output)")
        #expect(today.output.contains("  market.real_estate: none"))
        let again = try await Self.run(apply + [changed])
        #expect(again.output.contains("0 proposal(s); 1 contract(s) unchanged"), "\(again.output)")
        let agency = try await Self.run(["contracts", "show", "agency.cz_huixin", "--on", "2026-12-31", "--database-url", conninfo])
        #expect(agency.output.contains("partner   agency.cz_huixin"), "\(agency.output)")
        // Seeded now: nothing was in effect on an earlier day.
        let beforeSeed = try await Self.run(["contracts", "show", "bank.icbc_jiangsu", "--on", "2026-06-01", "--database-url", conninfo])
        #expect(beforeSeed.status != 0)
        #expect(beforeSeed.output.contains("no version of bank.icbc_jiangsu's contract was in effect at 2026-06-01T15:59:59Z"), "\(beforeSeed.output)")

        #expect(try await ContractStore(pool: pool).versionCount(of: "bank.icbc_jiangsu") == 2)
        let rows = try await AdminAuditLog(pool: pool).records(since: 0, limit: 10)
        #expect(rows.map(\.entry.path) == ["credit-broker test", "credit-broker contracts apply"])
        await pool.close()
    }

    /// A directory of which one file the lifecycle refuses (a version label already used for other
    /// terms) is proposed not at all: before, the other files became proposals, the refusal went to
    /// standard output and the command exited 0.
    @Test func applyProposesNothingWhenTheLifecycleRefusesAnyFile() async throws {
        let database = try await TestPostgres.freshDatabase()
        let conninfo = try #require(database.conninfo)
        let pool = PostgresPool(.init(connection: database, maxConnections: 1))
        try await Migrator(pool: pool).migrate()
        #expect(try await ContractStore(pool: pool).seedIfEmpty({ try Fixtures.contractFiles() }, by: .commandLine("test", partner: nil, status: 201, detail: "seeded")) == 73)

        let relabelled = try String(contentsOf: Self.root.appending(path: "Contracts/agency.cz_huixin.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "per_day: 1000", with: "per_day: 2000")
        let folder = try Self.folder(["bank.icbc_jiangsu.yaml": Self.changedICBC(), "agency.cz_huixin.yaml": relabelled])
        let apply = try await Self.runApart(["contracts", "apply", folder, "--database-url", conninfo] + Self.policyOptions)
        #expect(apply.status != 0, "\(apply.output)\(apply.errors)")
        #expect(apply.errors.contains("\(folder)/agency.cz_huixin.yaml: would be refused: Version label '2026-11-01.1' is already another version"), "\(apply.errors)")
        #expect(apply.errors.contains("1 of 2 changed contract(s) would be refused; nothing proposed (not proposed either: \(folder)/bank.icbc_jiangsu.yaml)"), "\(apply.errors)")
        #expect(!apply.output.contains("proposed "), "\(apply.output)")

        let proposals = try await pool.transaction { try await ContractLifecycle.proposals(status: .proposed, partner: nil, limit: 10, on: $0) }
        #expect(proposals.isEmpty, "\(proposals.map(\.partnerID))")
        let rows = try await AdminAuditLog(pool: pool).records(since: 0, limit: 10)
        #expect(rows.map(\.entry.path) == ["credit-broker test"])

        // Without the refused file, the rest is proposed.
        try FileManager.default.removeItem(atPath: folder + "/agency.cz_huixin.yaml")
        let again = try await Self.runApart(["contracts", "apply", folder, "--database-url", conninfo] + Self.policyOptions)
        #expect(again.status == 0, "\(again.output)\(again.errors)")
        #expect(again.output.contains("1 proposal(s); 0 contract(s) unchanged"), "\(again.output)")
        await pool.close()
    }

    /// A contract saved as GBK: the file, offset and line of its first byte that is not UTF-8.
    /// Before: "Error: Error Domain=NSCocoaErrorDomain Code=259 …" without the file's name.
    @Test func aContractFileThatIsNotUTF8IsNamedWithItsFirstBadByte() async throws {
        let folder = TestPostgres.temporaryFolder()
        // "测试" in GBK (B2 E2 CA D4) where the UTF-8 legal name was: line 2, after "legal_name: " (offset 25 + 12).
        var bytes = Array(Self.agency.utf8)
        let name = Array("测试信用管理有限公司".utf8)
        let at = try #require(bytes.indices.first { bytes[$0...].starts(with: name) })
        bytes.replaceSubrange(at..<(at + name.count), with: [0xB2, 0xE2, 0xCA, 0xD4])
        try Data(bytes).write(to: URL(filePath: folder + "/gbk.yaml"))
        for arguments in [["contracts", "check", folder], ["contracts", "check", folder + "/gbk.yaml"]] {
            let checked = try await Self.run(arguments + Self.policyOptions)
            #expect(checked.status != 0)
            #expect(checked.output.contains("\(folder)/gbk.yaml: not UTF-8 text (first bad byte at offset 37, line 2); save it as UTF-8"), "\(checked.output)")
            #expect(!checked.output.contains("NSCocoaErrorDomain"), "\(checked.output)")
        }
    }

    /// `receipts verify` of a file that is not there says so in words. Before: "NSCocoaErrorDomain error 256".
    @Test func receiptsVerifyNamesAFileItCannotRead() async throws {
        let folder = TestPostgres.temporaryFolder()
        let key = folder + "/receipt-key.pem"
        try "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n".write(toFile: key, atomically: true, encoding: .utf8)
        let missing = try await Self.runApart(["receipts", "verify", folder + "/nonexistent", "--key", key])
        #expect(missing.status != 0)
        #expect(missing.errors.contains("cannot read \(folder)/nonexistent: no such file"), "\(missing.errors)")
        #expect(!missing.errors.contains("NSCocoaErrorDomain"), "\(missing.errors)")
        try "HTTP/1.1 200 OK\r\nBroker-Receipt: a.b\r\n\r\n{}".write(toFile: folder + "/saved", atomically: true, encoding: .utf8)
        let noKey = try await Self.runApart(["receipts", "verify", folder + "/saved", "--key", folder + "/absent.pem"])
        #expect(noKey.errors.contains("cannot read \(folder)/absent.pem: no such file"), "\(noKey.errors)")
    }
}
