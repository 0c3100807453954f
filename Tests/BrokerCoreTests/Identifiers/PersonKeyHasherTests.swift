import Crypto
import Foundation
import Testing
@testable import BrokerCore

@Suite struct PersonKeyHasherTests {
    let today = CivilDate(year: 2026, month: 11, day: 26)!
    let secret = Array(repeating: UInt8(7), count: 32)

    @Test func keyIsHMACSHA256OfTheCanonicalNumber() throws {
        let hasher = try PersonKeyHasher(secret: secret)
        let key = hasher.key(for: try ResidentIDNumber("11010519491231002x", today: today))
        let expected = HMAC<SHA256>.authenticationCode(for: Data("11010519491231002X".utf8), using: SymmetricKey(data: secret))
        #expect(key.hex == expected.map { String(format: "%02x", $0) }.joined())
        #expect(key.hex.count == 64)
    }

    @Test func keyDependsOnTheSecretAndTheNumber() throws {
        let id = try ResidentIDNumber("11010519491231002X", today: today)
        let other = try ResidentIDNumber("320106199005171239", today: today)
        let hasher = try PersonKeyHasher(secret: secret)
        let otherHasher = try PersonKeyHasher(secret: Array(repeating: UInt8(8), count: 32))
        #expect(hasher.key(for: id) == hasher.key(for: id))
        #expect(hasher.key(for: id) != hasher.key(for: other))
        #expect(hasher.key(for: id) != otherHasher.key(for: id))
    }

    @Test func shortSecretsAreRefused() {
        #expect(throws: PersonKeyHasher.SecretError.tooShort(bytes: 31)) {
            try PersonKeyHasher(secret: Array(repeating: UInt8(1), count: 31))
        }
    }

    @Test func storedKeysAreValidated() throws {
        #expect(PersonKey(hex: String(repeating: "a", count: 64)) != nil)
        #expect(PersonKey(hex: String(repeating: "A", count: 64)) == nil)
        #expect(PersonKey(hex: String(repeating: "a", count: 63)) == nil)
        let key = try #require(PersonKey(hex: String(repeating: "0f", count: 32)))
        #expect(try JSONDecoder().decode(PersonKey.self, from: JSONEncoder().encode(key)) == key)
    }
}
