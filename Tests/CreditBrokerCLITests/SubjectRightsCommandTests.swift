import BrokerCore
import BrokerStore
import Foundation
import PostgresClient
import TestSupport
import Testing

/// The command line's part in subjects' rights: `ids check` on the oldest residents' numbers, and
/// `disputes export` for a data source without a partner account.
@Suite struct SubjectRightsCommandTests {
    /// Failed before issue 16 with "the birth date is before 1900": GB 11643-1999 numbers the
    /// residents born in the 1880s like anyone else.
    @Test func anIDNumberOfSomeoneBornIn1886IsValid() async throws {
        let valid = try await ContractsCommandTests.run(["ids", "check", "320102188603151239"])
        #expect(valid.status == 0 && valid.output == "320102188603151239 valid\n", "\(valid.output)")
        let ancient = try await ContractsCommandTests.run(["ids", "check", "320102179912311230"])
        #expect(ancient.status != 0 && ancient.output.contains("the birth date is before 1800"), "\(ancient.output)")
    }

    @Test func disputesExportListsASourcesDisputesInFeedOrder() async throws {
        let database = try await TestPostgres.freshDatabase()
        let conninfo = try #require(database.conninfo)
        let pool = PostgresPool(.init(connection: database, maxConnections: 1))
        try await Migrator(pool: pool).migrate()
        let company = try UnifiedSocialCreditCode(type: .enterprise, division: 320102, organisationCode: "MA1X0051").rawValue
        try await pool.query("INSERT INTO subjects (subject_key, kind) VALUES (\(company), 'organisation')")
        for (source, id) in [("jiangsu_public_credit", "PEN-51"), ("sushu_tax", "TAX-51")] {
            try await pool.query("""
                INSERT INTO records (subject_key, item, source, source_record_id, fields)
                VALUES (\(company), 'enterprise.penalty', \(source), \(id), '{}'::jsonb)
                """)
        }
        // The keys the broker seals with, in a file as an installation keeps them (mode 0600).
        let keyFile = TestPostgres.temporaryFolder() + "/sealing-keys"
        try Data(try SealingKeyring.newKeyFileText(id: "k1").utf8).write(to: URL(filePath: keyFile))
        chmod(keyFile, 0o600)
        let store = DisputeStore(pool: pool, keys: try await SealingKeys.load(.file(keyFile)))
        let filed = try await store.file(.init(
            subjectKey: company, source: "jiangsu_public_credit", sourceRecordID: "PEN-51", reason: "quashed", statement: nil,
            keepStatement: false, filedBy: "portal.xinyong_jiangsu"
        ), at: Date())
        _ = try await store.file(.init(
            subjectKey: company, source: "sushu_tax", sourceRecordID: "TAX-51", reason: "not ours", statement: nil,
            keepStatement: false, filedBy: "portal.xinyong_jiangsu"
        ), at: Date())
        // As an earlier version stored one: in clear.
        let legacy = "dp_" + String(repeating: "b", count: 32)
        try await pool.query("""
            INSERT INTO disputes (dispute_id, subject_key, item, source, source_record_id, record_version, filed_by, reason, keep_statement,
                                  filed_at, filed_on, deadline, feed_seq, state, outcome, resolved_at, resolved_via)
            VALUES (\(legacy), \(company), 'enterprise.penalty', 'sushu_tax', 'TAX-51', 1, 'portal.xinyong_jiangsu', 'legacy-clear-reason-51', false,
                    now(), current_date, current_date + 20, nextval('record_change_seq'), 'resolved', 'withdrawn', now(), 'admin')
            """)
        await pool.close()

        // An external database needs the keys named: every gateway and command must hold the same.
        let unnamed = try await ContractsCommandTests.run(["disputes", "export", "--source", "jiangsu_public_credit", "--database-url", conninfo])
        #expect(unnamed.status != 0 && unnamed.output.contains("give the sealing keys with --sealing-keys FILE or --sealing-key-command CMD"), "\(unnamed.output)")
        let exported = try await ContractsCommandTests.run([
            "disputes", "export", "--source", "jiangsu_public_credit", "--database-url", conninfo, "--sealing-keys", keyFile,
        ])
        #expect(exported.status == 0, "\(exported.output)")
        let lines = exported.output.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count == 1, "\(exported.output)")
        let first = try #require(lines.first)
        let line = try #require(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        #expect(line["id"] as? String == filed.id && line["state"] as? String == "open" && line["uscc"] as? String == company)
        #expect(line["deadline"] as? String == filed.deadline.description && line["overdue"] as? Bool == false)
        #expect(line["reason"] as? String == "quashed", "opened with the key file's key")
        #expect(exported.output.contains("next: --since \(filed.feedSeq)"), "\(exported.output)")
        let later = try await ContractsCommandTests.run([
            "disputes", "export", "--source", "jiangsu_public_credit", "--since", "\(filed.feedSeq)", "--database-url", conninfo,
            "--sealing-keys", keyFile,
        ])
        #expect(later.status == 0 && !later.output.contains("{"), "\(later.output)")
        let bad = try await ContractsCommandTests.run(["disputes", "export", "--source", "Bad Source", "--database-url", conninfo])
        #expect(bad.status != 0 && bad.output.contains("--source must be a catalog source id"), "\(bad.output)")

        // reseal: the clear one sealed (and the table vacuumed: the tests' role owns it), then nothing left to do.
        let resealed = try await ContractsCommandTests.run(["disputes", "reseal", "--database-url", conninfo, "--sealing-keys", keyFile])
        #expect(resealed.status == 0, "\(resealed.output)")
        #expect(resealed.output.contains("resealed 1 dispute(s) under 'k1' (1 in clear); every dispute is now sealed under 'k1'"), "\(resealed.output)")
        #expect(resealed.output.contains("vacuumed disputes"), "\(resealed.output)")
        let nothing = try await ContractsCommandTests.run(["disputes", "reseal", "--database-url", conninfo, "--sealing-keys", keyFile])
        #expect(nothing.status == 0 && nothing.output.contains("resealed 0 dispute(s) under 'k1'; every dispute"), "\(nothing.output)")
        // `reseal` is the same command at the top level, and names every sealed table.
        let all = try await ContractsCommandTests.run(["reseal", "--database-url", conninfo, "--sealing-keys", keyFile])
        for line in [
            "resealed 0 dispute(s) under 'k1'; every dispute is now sealed under 'k1'",
            "resealed 0 response(s) kept for retries under 'k1'; every response kept for a retry is now sealed under 'k1'",
            "resealed 0 batch-review result(s) under 'k1'; every batch-review result is now sealed under 'k1'",
            "resealed 0 consent revocation note(s) under 'k1'; every consent revocation note is now sealed under 'k1'",
        ] {
            #expect(all.status == 0 && all.output.contains(line), "\(all.output)")
        }
        let check = PostgresPool(.init(connection: database, maxConnections: 1))
        #expect(try await check.query("SELECT count(*)::int FROM disputes t WHERE t::text LIKE '%legacy-clear-reason-51%'")[0].decode(Int.self, at: 0) == 0)
        await check.close()
        let sushu = try await ContractsCommandTests.run(["disputes", "export", "--source", "sushu_tax", "--database-url", conninfo, "--sealing-keys", keyFile])
        #expect(sushu.output.contains("legacy-clear-reason-51") && sushu.output.contains("not ours"), "\(sushu.output)")

        // A key file others may read is refused, naming its mode.
        chmod(keyFile, 0o644)
        let open = try await ContractsCommandTests.run(["disputes", "reseal", "--database-url", conninfo, "--sealing-keys", keyFile])
        #expect(open.status != 0 && open.output.contains("\(keyFile) is mode 0644: other accounts may use it"), "\(open.output)")
    }
}
