@testable import BrokerStore
import ChildProcesses
import Foundation
import GMCrypto
import TestSupport
import Testing

/// Where sealing keys come from: a key file (its mode checked like a secret's), a command that
/// prints them (a KMS-style hook), re-read without a restart; every refusal names the line and the
/// reason, never a key.
@Suite struct SealingKeysTests {
    static func folder() throws -> String {
        let folder = TestPostgres.temporaryFolder()
        chmod(folder, 0o700)
        return folder
    }

    static func write(_ text: String, to path: String, mode: mode_t = 0o600) throws {
        try Data(text.utf8).write(to: URL(filePath: path))
        chmod(path, mode)
    }

    static let key = Data((0..<48).map { UInt8($0) }).base64EncodedString()

    @Test func aKeyLineThatIsRefusedIsNamedByItsLineAndNeverShown() throws {
        let other = Data((0..<48).map { UInt8(255 - $0) }).base64EncodedString()
        let cases: [(String, String)] = [
            ("# keys\n\nk1 \(Self.key)\nk2\n", "keys:4: a key line is 'KEY_ID BASE64_KEY' (two words; this line has 1)"),
            ("k1 \(Self.key) extra\n", "keys:1: a key line is 'KEY_ID BASE64_KEY' (two words; this line has 3)"),
            ("-k \(Self.key)\n", "keys:1: a key id is a letter or digit, then up to 31 letters, digits, '.', '_' or '-'"),
            ("k1 \(Self.key)\nk1 \(other)\n", "keys:2: the key id 'k1' is listed already (line 1)"),
            ("k1 not*base64\n", "keys:1: the key of 'k1' is not base64"),
            ("k1 \(Data(count: 32).base64EncodedString())\n", "keys:1: the key of 'k1' is 32 bytes; a sealing key is 48 (openssl rand -base64 48)"),
            ("k1 \(Self.key)\nk2 \(Self.key)\n", "keys:2: the key of 'k2' is the key of 'k1' (line 1): a new key must be new"),
            ("# nothing\n\n", "keys: no sealing key (one a line, 'KEY_ID BASE64_KEY', the last one seals)"),
        ]
        for (text, expected) in cases {
            let failure = try #require(throws: SealingKeyring.Failure.self) { try SealingKeyring(text: text, origin: "keys") }
            #expect(failure.description == expected)
            #expect(!failure.description.contains(Self.key) && !failure.description.contains(other))
        }
        let keyring = try SealingKeyring(text: "# oldest first\nk1 \(Self.key)\n\n\tk2\t\(other)  \n", origin: "keys")
        #expect(keyring.keys.map(\.id) == ["k1", "k2"] && keyring.sealingKeyID == "k2")
        // A file saved with CRLF line ends (an editor on Windows): "\r\n" is one Character, and a split
        // at "\n" read the whole file as one line ("this line has 3").
        // Saved by Notepad as "UTF-8 with BOM", too: the mark opened the first key's id ("a key id is a letter or digit").
        let crlf = try SealingKeyring(text: "\u{FEFF}k1 \(Self.key)\r\n\r\nk2 \(other)\r\n", origin: "keys")
        #expect(crlf.keys.map(\.id) == ["k1", "k2"] && crlf.sealingKeyID == "k2")
        #expect(try SealingKeyring(text: "# oldest first\r\nk1 \(Self.key)\r\n", origin: "keys").keys.map(\.id) == ["k1"])
        let repeated = try #require(throws: SealingKeyring.Failure.self) { try SealingKeyring(text: "k1 \(Self.key)\r\nk1 \(other)\r\n", origin: "keys") }
        #expect(repeated.description == "keys:2: the key id 'k1' is listed already (line 1)")
        let field = SealedField(table: "disputes", column: "reason", row: "dp_1")
        let sealed = try keyring.seal("理由", as: field)
        #expect(sealed.keyID == "k2")
        #expect(try keyring.open(sealed, as: field) == "理由")
        // The key file's layout: the first 16 bytes are the SM4 key, the other 32 the HMAC-SM3 key.
        let bytes = (0..<48).map { UInt8(255 - $0) }
        #expect(try SM4CTR.open(sealed.bytes, using: SM4SealingKey(bytes: bytes), authenticating: Array("disputes.reason\u{0}dp_1\u{0}k2".utf8)) == Array("理由".utf8))
    }

    @Test func aKeyFileOtherAccountsMayReadIsRefusedNamingItsMode() async throws {
        let folder = try Self.folder()
        let path = folder + "/sealing-keys"
        for (mode, why) in [(0o644 as mode_t, "other accounts may use it"), (0o604, "other accounts may use it"), (0o660, "its group may write it")] {
            try Self.write("k1 \(Self.key)\n", to: path, mode: mode)
            let failure = try await #require(throws: SealingKeyring.Failure.self) { try await SealingKeys.load(.file(path)) }
            #expect(failure.description == "\(path) is mode 0\(String(mode, radix: 8)): \(why); a key file must be mode 0600 (or 0640 with the broker's group): chmod 600 \(path)")
        }
        for mode in [0o600 as mode_t, 0o400, 0o640] {
            try Self.write("k1 \(Self.key)\n", to: path, mode: mode)
            #expect(try await SealingKeys.load(.file(path)).keyring.sealingKeyID == "k1")
        }
        let absent = try await #require(throws: SealingKeyring.Failure.self) { try await SealingKeys.load(.file(folder + "/none")) }
        #expect(absent.description.hasPrefix("\(folder)/none: cannot read the key file"))
    }

    @Test func theEmbeddedDefaultIsCreatedOnceWithModeSixHundred() async throws {
        let path = try Self.folder() + "/sealing-keys"
        let first = try await SealingKeys.loadOrCreate(file: path)
        var status = stat()
        #expect(stat(path, &status) == 0 && status.st_mode & 0o777 == 0o600)
        let again = try await SealingKeys.loadOrCreate(file: path)
        let field = SealedField(table: "t", column: "c", row: "r")
        #expect(try again.keyring.open(first.keyring.seal("same key", as: field), as: field) == "same key")
        #expect(first.keyring.keys.map(\.id) == ["k1"])
    }

    /// The KMS-style hook: the command's standard output is the keys (its standard error is not);
    /// a command that fails is refused with its status; `reload` reads it again.
    @Test func aKeyCommandPrintsTheKeysAndIsRunAgainOnReload() async throws {
        let folder = try Self.folder()
        let keys = folder + "/kms-keys"
        try Self.write(try SealingKeyring.newKeyFileText(id: "k1"), to: keys)
        let command = "echo 'kms: fetching keys' >&2; cat '\(keys)'"
        let loaded = try await SealingKeys.load(.command(command))
        #expect(loaded.keyring.keys.map(\.id) == ["k1"])
        let field = SealedField(table: "disputes", column: "statement", row: "dp_2")
        let sealed = try loaded.keyring.seal("statement", as: field)

        try Self.write(try String(contentsOfFile: keys, encoding: .utf8) + SealingKeyring.newKeyFileText(id: "k2"), to: keys)
        let reloaded = try await loaded.reload(inUse: ["k1"])
        #expect(reloaded.sealingKeyID == "k2" && loaded.keyring.sealingKeyID == "k2")
        #expect(try loaded.keyring.open(sealed, as: field) == "statement")

        // Keys that lack one in use are not taken: the ones read before stay.
        try Self.write(try SealingKeyring.newKeyFileText(id: "k3"), to: keys)
        let lacking = try await #require(throws: SealingKeyring.Failure.self) { try await loaded.reload(inUse: ["k1", "k2"]) }
        #expect(lacking.description.hasPrefix("the database holds values sealed under 'k1', 'k2', which the sealing keys read (k3) lack"))
        #expect(loaded.keyring.keys.map(\.id) == ["k1", "k2"])

        let failing = try await #require(throws: SealingKeyring.Failure.self) { try await SealingKeys.load(.command("echo 'no such vault' >&2; exit 3")) }
        #expect(failing.description == "the sealing key command exited with status 3 (its standard error is the broker's)")
        let garbage = try await #require(throws: SealingKeyring.Failure.self) { try await SealingKeys.load(.command("echo k1")) }
        #expect(garbage.description == "the sealing key command's output:1: a key line is 'KEY_ID BASE64_KEY' (two words; this line has 1)")
    }

    /// A command that never finishes is stopped after the time given, not waited for.
    @Test func aKeyCommandThatHangsIsStopped() async throws {
        let running = try ChildProcess.start("/bin/sh", ["-c", "exec sleep 30"], standardError: .inherited)
        let (status, _, killed) = await running.wait(killingAfter: .milliseconds(200))
        #expect(killed && status == 128 + SIGKILL)
    }
}
