import Testing
import Formats

@Suite struct YAMLReaderTests {
    @Test func plainNullIsEmptyButQuotedNullIsText() throws {
        var reader = YAMLReader(file: "n.yaml")
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
        var reader = YAMLReader(file: "k.yaml")
        let root = reader.root(of: "x: 1\n\nname: a\ncolour: red\n")
        #expect(root.flatMap { reader.mapping($0, "the thing", required: ["name", "size"], optional: ["x"]) } != nil)
        #expect(reader.diagnostics.map(\.description) == [
            "k.yaml:4: unknown key 'colour' in the thing (expected: name, size, x)",
            "k.yaml:1: the thing is missing 'size'",
        ])
    }

    @Test func numbersTakeAnySignAndEmptyTextIsKeptWhereAllowed() throws {
        var reader = YAMLReader(file: "s.yaml")
        let root = reader.root(of: "a: -2.5\nb: [\"\", x, ~]\nc: .inf\nd: -3\n")
        let map = try #require(root.flatMap { reader.mapping($0, "test", required: ["a", "b", "c", "d"]) })
        #expect(reader.number(map["a"], "a") == -2.5)
        #expect(reader.strings(map["b"], "b", allowingEmpty: true)?.map(\.value) == ["", "x", ""])
        #expect(reader.number(map["c"], "c") == nil)
        #expect(reader.int(map["d"], "d", in: Int.min...Int.max) == -3)
        #expect(reader.decimal(map["d"], "d") == nil)
        #expect(reader.diagnostics.map(\.description) == [
            "s.yaml:2: b lists '' twice",
            "s.yaml:3: c must be a number, not '.inf'",
            "s.yaml:4: d must be a non-negative number, not '-3'",
        ])
    }

    @Test func theLineOfEveryFieldReadIsKept() throws {
        var reader = YAMLReader(file: "l.yaml")
        let root = reader.root(of: "top:\n  list:\n    - { name: a }\n    - { name: b }\n")
        let top = root.flatMap { reader.mapping($0, "the file", required: ["top"]) }
        let inner = top?["top"].flatMap { reader.mapping($0, "top", required: ["list"]) }
        let list = inner?["list"].flatMap { reader.sequence($0, "top.list") } ?? []
        for (index, element) in list.enumerated() {
            let map = reader.mapping(element, "top.list[\(index)]", required: ["name"])
            _ = reader.string(map?["name"], "top.list[\(index)].name")
        }
        #expect(list.count == 2 && reader.diagnostics.isEmpty)
        #expect(reader.lines == ["the file": 1, "top": 2, "top.list": 3, "top.list[0]": 3, "top.list[0].name": 3, "top.list[1]": 4, "top.list[1].name": 4])
    }
}
