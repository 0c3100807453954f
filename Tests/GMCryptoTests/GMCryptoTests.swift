import BrokerStore
import ChildProcesses
import Foundation
import GMCrypto
import Testing

/// The national algorithms against the standards' own examples, and SM2 against the `openssl`
/// command line both ways (the tests run it as a subprocess).
@Suite struct GMCryptoTests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    // MARK: SM3 (GB/T 32905-2016, appendix A)

    @Test func sm3OfTheStandardsExamples() throws {
        #expect(Self.hex(try SM3.hash(Array("abc".utf8))) == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
        // Example 2: 512 bits, "abcd" sixteen times.
        let abcd = Array(String(repeating: "abcd", count: 16).utf8)
        #expect(abcd.count * 8 == 512)
        #expect(Self.hex(try SM3.hash(abcd)) == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732")
        // The empty message is a message too.
        #expect(Self.hex(try SM3.hash([UInt8]())) == "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b")
    }

    // MARK: SM4 (GB/T 32907-2016, appendix A)

    /// Example 1: key = plaintext = 0123456789abcdeffedcba9876543210 gives 681edf34d206965e86b3e94f536e4246.
    /// CTR's first key-stream block is the block cipher applied to the counter block, so SM4-CTR
    /// of sixteen zero bytes from that counter is the example's ciphertext.
    @Test func sm4OfTheStandardsExampleThroughCTR() async throws {
        let key = Self.bytes("0123456789abcdeffedcba9876543210")
        let stream = try SM4CTR.apply(key: key, counter: key, to: [UInt8](repeating: 0, count: 16))
        #expect(Self.hex(stream) == "681edf34d206965e86b3e94f536e4246")
        // And the counter advances: the second block is E(counter + 1), as openssl computes it.
        let two = try SM4CTR.apply(key: key, counter: key, to: [UInt8](repeating: 0, count: 32))
        #expect(Array(two.prefix(16)) == stream)
        let openssl = try await Self.openssl(["enc", "-sm4-ctr", "-K", Self.hex(key), "-iv", Self.hex(key), "-nosalt"], input: Data(count: 32))
        #expect(Array(openssl) == two)
    }

    /// Example 2: the same key and plaintext encrypted 1,000,000 times give
    /// 595298c7c6fd271f0402f804c33d3f66. Each encryption is one counter block's key stream
    /// (`E(counter)`, applied to zeros), so the iteration runs through `SM4CTR.apply` itself.
    @Test func sm4OfTheStandardsSecondExampleAMillionTimes() throws {
        let key = Self.bytes("0123456789abcdeffedcba9876543210")
        let zeros = [UInt8](repeating: 0, count: 16)
        var block = key
        for _ in 0..<1_000_000 { block = try SM4CTR.apply(key: key, counter: block, to: zeros) }
        #expect(Self.hex(block) == "595298c7c6fd271f0402f804c33d3f66")
    }

    /// A sealed value is `nonce ‖ SM4-CTR(plaintext) ‖ HMAC-SM3(len(ad) ‖ ad ‖ nonce ‖ ciphertext)`
    /// byte for byte as the `openssl` command line computes each part from the same keys: what the
    /// README documents, so a value can be opened without this program.
    @Test func aSealIsExactlyWhatTheCommandLineComputes() async throws {
        let keyBytes = (0..<SM4SealingKey.byteCount).map { UInt8(($0 * 7 + 3) & 0xff) }
        let key = try SM4SealingKey(bytes: keyBytes)
        let plaintext = Array("异议陈述: the fine was paid on 2026-10-01".utf8)
        let context = Array("disputes.statement\u{0}dp_0123\u{0}k1".utf8)
        let sealed = try SM4CTR.seal(plaintext, using: key, authenticating: context)
        let nonce = Array(sealed.prefix(16))
        let ciphertext = Array(sealed[16..<(sealed.count - 32)])
        let tag = Array(sealed.suffix(32))
        let encrypted = try await Self.openssl(
            ["enc", "-sm4-ctr", "-K", Self.hex(Array(keyBytes.prefix(16))), "-iv", Self.hex(nonce), "-nosalt"], input: Data(plaintext)
        )
        #expect(Array(encrypted) == ciphertext)
        let length = withUnsafeBytes(of: UInt64(context.count).bigEndian) { Array($0) }
        let mac = try await Self.openssl(
            ["mac", "-digest", "SM3", "-macopt", "hexkey:\(Self.hex(Array(keyBytes.suffix(32))))", "HMAC"],
            input: Data(length + context + nonce + ciphertext)
        )
        #expect(Self.hex(tag).uppercased() == String(decoding: mac, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(try SM4CTR.open(sealed, using: key, authenticating: context) == plaintext)
    }

    /// A sealing key never shows its bytes: not printed, interpolated, reflected or dumped.
    @Test func aSealingKeyShowsNoKeyByte() throws {
        let key = try SM4SealingKey.generate()
        var dumped = ""
        dump(key, to: &dumped)
        let bytes = key.bytes
        for shown in ["\(key)", String(describing: key), String(reflecting: key), dumped] {
            #expect(shown.contains("redacted"), "\(shown)")
            #expect(!shown.contains(Self.hex(Array(bytes.prefix(4)))) && !shown.contains("\(bytes[0]), \(bytes[1])"), "\(shown)")
        }
        #expect(key.isSame(as: try SM4SealingKey(bytes: bytes)))
        #expect(!key.isSame(as: try SM4SealingKey.generate()))
        let short = try #require(throws: GMCryptoError.self) { try SM4SealingKey(bytes: Array(bytes.prefix(32))) }
        #expect(short.description == "SM4 key failed: the key is 32 bytes; it must be 48 (16 for SM4, then 32 for HMAC-SM3)")
    }

    @Test func sealOpensOnlyUnchangedUnderTheSameKeyAndContext() throws {
        let key = try SM4SealingKey.generate()
        let plaintext = Array("13912345678".utf8)
        let sealed = try SM4CTR.seal(plaintext, using: key, authenticating: Array("k1".utf8))
        #expect(sealed.count == SM4CTR.nonceByteCount + plaintext.count + SM4CTR.tagByteCount)
        #expect(try SM4CTR.open(sealed, using: key, authenticating: Array("k1".utf8)) == plaintext)
        // A fresh nonce each time: the same plaintext never seals to the same bytes.
        #expect(try SM4CTR.seal(plaintext, using: key, authenticating: Array("k1".utf8)) != sealed)
        #expect(!sealed.indices.contains { sealed[$0...].starts(with: plaintext) })

        for index in [0, SM4CTR.nonceByteCount, sealed.count - 1] {
            var altered = sealed
            altered[index] ^= 1
            #expect(throws: GMCryptoError.self) { try SM4CTR.open(altered, using: key, authenticating: Array("k1".utf8)) }
        }
        let failure = try #require(throws: GMCryptoError.self) { try SM4CTR.open(sealed, using: key, authenticating: Array("k2".utf8)) }
        #expect(failure.kind == .authenticationFailure)
        #expect(throws: GMCryptoError.self) { try SM4CTR.open(sealed, using: try SM4SealingKey.generate(), authenticating: Array("k1".utf8)) }
        let short = try #require(throws: GMCryptoError.self) { try SM4CTR.open(Array(sealed.prefix(20)), using: key) }
        #expect(short.kind == .invalidInput)
        #expect(try SM4CTR.open(try SM4CTR.seal([UInt8](), using: key), using: key) == [])
    }

    @Test func aKeyOfTheWrongLengthIsRefusedNamingTheLength() throws {
        let error = try #require(throws: GMCryptoError.self) { try SM4SealingKey(encryption: [1, 2, 3], authentication: Array(repeating: 0, count: 32)) }
        #expect(error.kind == .invalidInput)
        #expect(error.description.contains("3 bytes"))
        #expect(throws: GMCryptoError.self) { try HMACSM3.authenticationCode(for: [UInt8](), key: [UInt8](repeating: 1, count: 8)) }
    }

    // MARK: HMAC-SM3

    @Test func hmacSM3AgreesWithTheCommandLine() async throws {
        let key = Array(0..<32).map(UInt8.init)
        let message = Data("国密 HMAC over SM3".utf8)
        let code = try HMACSM3.authenticationCode(for: message, key: key)
        let openssl = try await Self.openssl(["mac", "-digest", "SM3", "-macopt", "hexkey:\(Self.hex(key))", "HMAC"], input: message)
        #expect(Self.hex(code).uppercased() == String(decoding: openssl, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(try HMACSM3.isValid(code, for: message, key: key))
        #expect(try !HMACSM3.isValid(code, for: Data("other".utf8), key: key))
    }

    // MARK: SM2 with SM3 and the default user id, both ways through the command line

    @Test func anSM2SignatureWeMakeVerifiesWithTheCommandLine() async throws {
        let folder = try Self.folder()
        let key = try SM2PrivateKey()
        let message = Data(#"{"body_sha256":"…","partner":"bank.icbc_jiangsu"}"#.utf8)
        try message.write(to: folder.appending(path: "message"))
        try Data(try key.signature(for: message)).write(to: folder.appending(path: "signature"))
        try Data(try key.publicKey.pemRepresentation.utf8).write(to: folder.appending(path: "public.pem"))
        let verify = ["pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pubin", "-inkey", "public.pem", "-in", "message", "-sigfile", "signature"]
        let output = try await Self.openssl(verify + ["-pkeyopt", "distid:1234567812345678"], in: folder)
        #expect(String(decoding: output, as: UTF8.self).contains("Signature Verified Successfully"))
        // OpenSSL 3.0's command line computes Z over an empty id when given none: our signature
        // (the GM/T 0009 default id) does not verify that way, so the README's command names the id.
        await #expect(throws: (any Error).self) { try await Self.openssl(verify, in: folder) }
        // Our private key's PEM is what openssl reads too.
        try Data(try key.pemRepresentation.utf8).write(to: folder.appending(path: "private.pem"))
        let derived = try await Self.openssl(["pkey", "-in", "private.pem", "-pubout"], in: folder)
        #expect(String(decoding: derived, as: UTF8.self) == (try key.publicKey.pemRepresentation))
    }

    @Test func anSM2SignatureTheCommandLineMakesVerifiesWithUs() async throws {
        let folder = try Self.folder()
        _ = try await Self.openssl(["genpkey", "-algorithm", "SM2", "-out", "private.pem"], in: folder)
        _ = try await Self.openssl(["pkey", "-in", "private.pem", "-pubout", "-out", "public.pem"], in: folder)
        let message = Data("a receipt's payload".utf8)
        try message.write(to: folder.appending(path: "message"))
        _ = try await Self.openssl([
            "pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-inkey", "private.pem", "-in", "message", "-out", "signature",
            "-pkeyopt", "distid:1234567812345678",
        ], in: folder)
        let signature = try Data(contentsOf: folder.appending(path: "signature"))
        let publicKey = try SM2PublicKey(pemRepresentation: String(contentsOf: folder.appending(path: "public.pem"), encoding: .utf8))
        #expect(publicKey.isValidSignature(signature, for: message))
        #expect(!publicKey.isValidSignature(signature, for: Data("a receipt's payloaD".utf8)))
        #expect(!publicKey.isValidSignature(signature, for: message, userID: Array("ALICE123@YAHOO.COM".utf8)))
        // The command line's private key loads, and its public half is the same key.
        let privateKey = try SM2PrivateKey(pemRepresentation: String(contentsOf: folder.appending(path: "private.pem"), encoding: .utf8))
        #expect(privateKey.publicKey == publicKey)
        #expect(publicKey.isValidSignature(try privateKey.signature(for: message), for: message))
    }

    @Test func aKeyThatIsNotSM2IsRefused() async throws {
        let folder = try Self.folder()
        _ = try await Self.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "p256.pem"], in: folder)
        _ = try await Self.openssl(["pkey", "-in", "p256.pem", "-pubout", "-out", "p256-public.pem"], in: folder)
        let privateError = try #require(throws: GMCryptoError.self) {
            try SM2PrivateKey(pemRepresentation: String(contentsOf: folder.appending(path: "p256.pem"), encoding: .utf8))
        }
        #expect(privateError.description == "SM2 private key failed: the key is not an SM2 key")
        #expect(throws: GMCryptoError.self) {
            try SM2PublicKey(pemRepresentation: String(contentsOf: folder.appending(path: "p256-public.pem"), encoding: .utf8))
        }
        let garbage = try #require(throws: GMCryptoError.self) { try SM2PublicKey(pemRepresentation: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n") }
        #expect(garbage.kind == .invalidInput)
        #expect(garbage.reasons.count > 1, "OpenSSL's own reasons follow: \(garbage)")
    }

    /// Signing from many tasks at once shares one immutable key value.
    @Test func oneKeySignsFromConcurrentTasks() async throws {
        let key = try SM2PrivateKey()
        let messages = (0..<64).map { Array("message \($0)".utf8) }
        let signatures = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for (index, message) in messages.enumerated() {
                group.addTask { (index, try key.signature(for: message)) }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for (index, message) in messages.enumerated() {
            #expect(key.publicKey.isValidSignature(signatures[index]!, for: message))
        }
    }

    // MARK: Helpers

    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appending(path: "gmcrypto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Runs `openssl` with `arguments` in `folder` (or feeding it `input` on standard input); its standard output.
    @discardableResult
    static func openssl(_ arguments: [String], in folder: URL? = nil, input: Data? = nil) async throws -> Data {
        let folder = try folder ?? Self.folder()
        var arguments = arguments
        if let input {
            try input.write(to: folder.appending(path: "stdin"))
            arguments.insert(contentsOf: ["-in", "stdin"], at: 1)
        }
        let out = folder.appending(path: "stdout-\(UUID().uuidString)")
        let script = "cd '\(folder.path)' && exec openssl \(arguments.map { "'\($0)'" }.joined(separator: " ")) > '\(out.path)'"
        try await ChildProcess.run("/bin/sh", ["-c", script])
        return try Data(contentsOf: out)
    }
}
