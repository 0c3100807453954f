import Testing
@testable import BrokerCore

@Suite struct PolicyReaderTests {
    @Test func plainNullIsEmptyButQuotedNullIsText() throws {
        var reader = PolicyReader(file: "n.yaml")
        let root = reader.root(of: "a: ~\nb: 'null'\nc: 12x\nd: [x, y, x]\n")
        let map = try #require(root.flatMap { reader.mapping($0, "test", required: ["a", "b", "c", "d"]) })
        #expect(reader.string(map["a"], "a") == nil)
        #expect(reader.string(map["b"], "b") == "null")
        #expect(reader.int(map["c"], "c") == nil)
        #expect(reader.strings(map["d"], "d")?.map(\.value) == ["x", "y", "x"])
        #expect(reader.diagnostics.map(\.description) == [
            "n.yaml:1: a must not be empty",
            "n.yaml:3: c must be a whole number at least 0, not '12x'",
            "n.yaml:4: d lists 'x' twice",
        ])
    }

    @Test func unknownAndMissingKeysAreLocated() throws {
        var reader = PolicyReader(file: "k.yaml")
        let root = reader.root(of: "x: 1\n\nname: a\ncolour: red\n")
        #expect(root.flatMap { reader.mapping($0, "the thing", required: ["name", "size"], optional: ["x"]) } != nil)
        #expect(reader.diagnostics.map(\.description) == [
            "k.yaml:4: unknown key 'colour' in the thing (expected: name, size, x)",
            "k.yaml:1: the thing is missing 'size'",
        ])
    }
}
