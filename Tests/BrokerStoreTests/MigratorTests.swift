@testable import BrokerStore
import ChildProcesses
import EmbeddedPostgres
import Foundation
import PostgresClient
import TestSupport
import Testing

@Suite struct MigratorTests {
    @Test func migratesOnceAndThenIsCurrent() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 2))
        let migrator = Migrator(pool: pool)
        #expect(try await migrator.pending().count == Migration.all.count)
        #expect(try await migrator.migrate().count == Migration.all.count)
        #expect(try await migrator.pending().isEmpty)
        #expect(try await migrator.migrate().isEmpty)
        await pool.close()
    }

    @Test func concurrentMigratorsApplyEachMigrationOnce() async throws {
        let database = try await TestPostgres.freshDatabase()
        let pools = (0..<4).map { _ in PostgresPool(.init(connection: database, maxConnections: 1)) }
        let applied = try await withThrowingTaskGroup(of: Int.self) { group in
            for pool in pools {
                group.addTask { try await Migrator(pool: pool).migrate().count }
            }
            return try await group.reduce(0, +)
        }
        #expect(applied == Migration.all.count)
        let rows = try await pools[0].query("SELECT count(*), count(DISTINCT version) FROM schema_migrations")[0]
        #expect(try rows.decode(Int.self, at: 0) == Migration.all.count)
        #expect(try rows.decode(Int.self, at: 1) == Migration.all.count)
        for pool in pools { await pool.close() }
    }

    @Test func editedMigrationIsRefused() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        try await Migrator(pool: pool).migrate()
        var edited = Migration.all
        edited[0].sql += "\n-- edited"
        let error = await #expect(throws: StoreInconsistency.self) { try await Migrator(pool: pool, migrations: edited).migrate() }
        #expect(error?.description.contains("changed after it was applied") == true)
        await pool.close()
    }
}

@Suite struct EmbeddedPostgresTests {
    @Test func secondStartReusesTheCluster() async throws {
        let folder = TestPostgres.temporaryFolder()
        var options = EmbeddedPostgres.Options(folder: folder)
        options.fastUnsafe = true
        let first = try await EmbeddedPostgres.start(options)
        let pool = PostgresPool(.init(connection: first.configuration, maxConnections: 1))
        try await pool.query("CREATE TABLE kept (n int)")
        try await pool.query("INSERT INTO kept VALUES (\(7))")
        await pool.close()
        await first.stop()

        let second = try await EmbeddedPostgres.start(options)
        try await withCleanup { () async throws in
            let again = PostgresPool(.init(connection: second.configuration, maxConnections: 1))
            #expect(try await again.query("SELECT n FROM kept")[0].decode(Int.self, at: 0) == 7)
            // Unix socket only: the server listens on no TCP address.
            #expect(try await again.query("SHOW listen_addresses")[0].decode(String.self, at: 0) == "")
            await again.close()
        } cleanup: {
            await second.stop()
        }
    }

    /// Settings given for a start reach the server; one that could break out of pg_ctl's command
    /// line (a quote in its value) is refused by name before anything starts.
    @Test func startSettingsReachTheServerAndAQuotedValueIsRefused() async throws {
        var options = EmbeddedPostgres.Options(folder: TestPostgres.temporaryFolder())
        options.fastUnsafe = true
        options.settings = ["work_mem": "7MB", "application_name": "bench run"]
        let cluster = try await EmbeddedPostgres.start(options)
        try await withCleanup { () async throws in
            let pool = PostgresPool(.init(connection: cluster.configuration, maxConnections: 1))
            #expect(try await pool.query("SELECT current_setting('work_mem')")[0].decode(String.self, at: 0) == "7MB")
            await pool.close()
        } cleanup: {
            await cluster.stop()
        }
        // The second carries a combining mark on its quote: one Character with it, which a
        // Character-wise check let through.
        for value in ["7MB' -c fsync='off", "7MB'\u{301} -c fsync='off", "7MB\r\n-c fsync=off", "7MB\\\u{301}"] {
            var hostile = EmbeddedPostgres.Options(folder: TestPostgres.temporaryFolder())
            hostile.settings = ["work_mem": value]
            let refused = await #expect(throws: EmbeddedPostgres.Failure.self) { try await EmbeddedPostgres.start(hostile) }
            #expect(refused?.description.hasSuffix("without quotes or backslashes: work_mem") == true, "\(refused.map { "\($0)" } ?? "")")
            #expect(refused?.description.contains("fsync") == false)
            #expect(!FileManager.default.fileExists(atPath: hostile.folder + "/data"), "no cluster made for a refused start")
        }
    }

    /// pg_ctl starts the server through a shell, the data folder in double quotes and the socket
    /// folder (a server setting) in single quotes. A state folder with an apostrophe (an owner's
    /// name, O'Brien) cut the setting short and the start failed; one with `$(…)` ran it. Now the
    /// socket goes to a folder of its own under /tmp when the state folder's path has a quote, and a
    /// path a double-quoted shell word cannot carry is refused, naming the character, before anything runs.
    @Test func aStateFolderWithAnApostropheStartsAndOneTheShellWouldExpandIsRefused() async throws {
        var options = EmbeddedPostgres.Options(folder: TestPostgres.temporaryFolder() + "/o'brien")
        options.fastUnsafe = true
        let cluster = try await EmbeddedPostgres.start(options)
        try await withCleanup { () async throws in
            let pool = PostgresPool(.init(connection: cluster.configuration, maxConnections: 1))
            #expect(try await pool.query("SELECT 1")[0].decode(Int.self, at: 0) == 1)
            await pool.close()
        } cleanup: {
            await cluster.stop()
        }
        let parent = TestPostgres.temporaryFolder()
        for (name, character) in [("$(touch ran)", "$"), ("`touch ran`", "`"), ("a\"b", "\""), ("a\\b", "\\")] {
            let hostile = EmbeddedPostgres.Options(folder: parent + "/" + name)
            let refused = await #expect(throws: EmbeddedPostgres.Failure.self) { try await EmbeddedPostgres.start(hostile) }
            #expect(refused?.description.contains("the character \(character)") == true, "\(refused.map { "\($0)" } ?? "")")
            #expect(!FileManager.default.fileExists(atPath: hostile.folder), "nothing made for a refused start")
        }
        #expect(!FileManager.default.fileExists(atPath: parent + "/ran") && !FileManager.default.fileExists(atPath: "ran"))
    }

    /// Issue 13, finding 2: the cluster was made with `initdb --auth=trust` and its socket was
    /// 0777 in a 0755 folder, so any local account connected as the superuser. Now only this
    /// process's account (and the server's) may, by `peer`; an older `trust` cluster is closed at its next start.
    @Test func onlyTheBrokersOwnAccountMayConnect() async throws {
        let folder = TestPostgres.temporaryFolder()
        var options = EmbeddedPostgres.Options(folder: folder)
        options.fastUnsafe = true
        let data = folder + "/data"
        let first = try await EmbeddedPostgres.start(options)
        Self.expectPrivate(first, folder: folder)

        // As a cluster made by the earlier code: trust for everyone, the socket open to all.
        await first.stop()
        try Data("local all all trust\n".utf8).write(to: URL(fileURLWithPath: data + "/pg_hba.conf"))
        chmod(first.socketDirectory, 0o777)
        chmod(folder, 0o755)
        let cluster = try await EmbeddedPostgres.start(options)
        try await withCleanup { () async throws in
            Self.expectPrivate(cluster, folder: folder)
            // The broker itself still connects.
            let pool = PostgresPool(.init(connection: cluster.configuration, maxConnections: 1))
            #expect(try await pool.query("SELECT current_user::text")[0].decode(String.self, at: 0) == "broker")
            await pool.close()

            guard geteuid() == 0 else { return }  // runuser needs root; CI runs as root.
            let psql = try EmbeddedPostgres.findBinaries().appendingPathComponent("psql").path
            let asNobody = ["-u", "nobody", "--", psql, "-h", cluster.socketDirectory, "-U", "broker", "-d", "credit_broker", "-tAc", "SELECT 1"]
            await #expect(throws: (any Error).self, "another account reached the socket") { try await ChildProcess.run("/usr/sbin/runuser", asNobody) }
            // Even with every folder on the way opened, peer authentication refuses another account.
            for path in [folder, data, cluster.socketDirectory] { chmod(path, 0o777) }
            chmod(cluster.socketDirectory + "/.s.PGSQL.5432", 0o777)
            let refused = await #expect(throws: ChildProcess.Failure.self) { try await ChildProcess.run("/usr/sbin/runuser", asNobody) }
            #expect(refused.map { "\($0)".contains("authentication failed") } == true, "\(refused.map { "\($0)" } ?? "")")
            for path in [folder, data, cluster.socketDirectory] { chmod(path, 0o700) }
        } cleanup: {
            await cluster.stop()
        }
    }

    private static func expectPrivate(_ cluster: EmbeddedPostgres, folder: String) {
        #expect(mode(folder) == 0o700)
        #expect(mode(cluster.socketDirectory) == 0o700)
        let hba = (try? String(contentsOfFile: folder + "/data/pg_hba.conf", encoding: .utf8)) ?? ""
        let rules = hba.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.allSatisfy(\.isWhitespace) }
        #expect(rules == ["local all broker peer map=broker"], "\(hba)")
        #expect(mode(folder + "/data/pg_hba.conf") == 0o600)
    }

    private static func mode(_ path: String) -> mode_t {
        var status = stat()
        guard lstat(path, &status) == 0 else { return 0 }
        return status.st_mode & 0o777
    }
}
