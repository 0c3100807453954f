import Foundation
import PropertyBased
import Testing
@testable import BrokerCore

@Suite struct HexTests {
    @Test func knownBytesAreTwoLowercaseDigitsEach() {
        #expect([UInt8]().lowercaseHex == "")
        #expect([0x00, 0x09, 0x0a, 0x0f, 0x10, 0x7f, 0x80, 0xab, 0xff].lowercaseHex == "00090a0f107f80abff")
    }

    /// Any bytes, of any sequence (a lazy one too, which knows no count beforehand), read as
    /// `%02x` writes them.
    @Test func anyBytesReadAsPrintfWritesThem() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...Int.max)) { seed in
            var random = SplitMix64(seed: UInt64(seed))
            let bytes = (0..<Int.random(in: 0...80, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            let expected = bytes.map { String(format: "%02x", $0) }.joined()
            #expect(bytes.lowercaseHex == expected)
            #expect(bytes.lazy.filter { _ in true }.lowercaseHex == expected)
        }
    }

    /// Decoding is the inverse, of either case; an odd digit count or any other character (a sign,
    /// a space, a full-width digit) is no bytes at all, never a zero in its place.
    @Test func hexTextDecodesToItsBytesAndAnythingElseToNil() async {
        #expect([UInt8](hex: "") == [])
        #expect([UInt8](hex: "00090A0f107F80abff") == [0x00, 0x09, 0x0a, 0x0f, 0x10, 0x7f, 0x80, 0xab, 0xff])
        for bad in ["0", "abc", "0g", "+f", " 0", "０1", "0x00"] {
            #expect([UInt8](hex: bad) == nil, "\(bad)")
        }
        await propertyCheck(count: 200, input: Gen.int(in: 0...Int.max)) { seed in
            var random = SplitMix64(seed: UInt64(seed))
            let bytes = (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            #expect([UInt8](hex: bytes.lowercaseHex) == bytes)
        }
    }
}
