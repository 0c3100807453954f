import Foundation
import TestSupport
import Testing

/// `ARCHITECTURE.md`'s module table is the rule for what may import what; `Package.swift` must keep
/// to it. A new dependency between the project's modules fails here until the table allows it.
@Suite struct ArchitectureTests {
    /// Module → the modules it may import, from the table between `<!-- modules:begin -->` and `<!-- modules:end -->`.
    static func allowed(in text: String) throws -> [String: Set<String>] {
        guard let begin = text.range(of: "<!-- modules:begin -->"), let end = text.range(of: "<!-- modules:end -->") else {
            throw Failure("ARCHITECTURE.md has no modules:begin/end markers")
        }
        var table: [String: Set<String>] = [:]
        for line in text[begin.upperBound..<end.lowerBound].split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 5 else { throw Failure("a module row with too few cells: \(line)") }
            table[Self.quoted(cells[1]).first ?? ""] = Set(Self.quoted(cells[3]))
        }
        return table
    }

    /// A target of the manifest: its kind (`target`, `testTarget`, …), the project's own targets
    /// it depends on (product dependencies of other packages left out) and its folder.
    struct Target: Equatable {
        var kind: String
        var dependencies: Set<String>
        var path: String
    }

    /// Every target of the manifest, test targets too.
    static func targets(in manifest: String) -> [String: Target] {
        let withoutProducts = manifest.replacing(/\.product\([^)]*\)/, with: "")
        var targets: [String: Target] = [:]
        let declaration = /\.(target|executableTarget|systemLibrary|testTarget)\(\s*name:\s*"([^"]+)"/
        let matches = withoutProducts.matches(of: declaration)
        for (index, match) in matches.enumerated() {
            let end = index + 1 < matches.count ? matches[index + 1].range.lowerBound : withoutProducts.endIndex
            let body = withoutProducts[match.range.upperBound..<end]
            var names = Set<String>()
            if let list = body.firstMatch(of: /dependencies:\s*\[([^\]]*)\]/) {
                names = Set(Self.strings(String(list.1)))
            }
            let kind = String(match.1)
            let path = body.firstMatch(of: /path:\s*"([^"]+)"/).map { String($0.1) }
                ?? (kind == "testTarget" ? "Tests/" : "Sources/") + match.2
            targets[String(match.2)] = Target(kind: kind, dependencies: names, path: path)
        }
        return targets
    }

    /// Each non-test target of the manifest and the project's own targets it depends on.
    static func dependencies(in manifest: String) -> [String: Set<String>] {
        targets(in: manifest).filter { $0.value.kind != "testTarget" }.mapValues(\.dependencies)
    }

    /// The modules among `modules` that a Swift source imports, in any of the forms
    /// (`@testable import X`, `@preconcurrency import X`, `internal import X`, `import struct X.Y`).
    static func imports(in source: String, among modules: Set<String>) -> Set<String> {
        let line = /^[ \t]*(?:@\w+[ \t]+)*(?:(?:public|package|internal|fileprivate|private)[ \t]+)?import[ \t]+(?:(?:struct|class|enum|protocol|typealias|func|var|let)[ \t]+)?(\w+)/
        return Set(source.matches(of: line.anchorsMatchLineEndings()).map { String($0.1) }).intersection(modules)
    }

    /// For each target whose declared project dependencies differ from the project modules its
    /// sources import: what it declares and never imports, and what it imports undeclared (which
    /// builds only because another dependency brings the module along).
    static func mismatches(declared: [String: Set<String>], imported: [String: Set<String>]) -> [String] {
        declared.keys.sorted().compactMap { target in
            let declared = declared[target] ?? []
            let imported = (imported[target] ?? []).subtracting([target])
            let unused = declared.subtracting(imported)
            let undeclared = imported.subtracting(declared)
            guard !unused.isEmpty || !undeclared.isEmpty else { return nil }
            var parts: [String] = []
            if !unused.isEmpty { parts.append("declares \(unused.sorted()) and never imports it") }
            if !undeclared.isEmpty { parts.append("imports \(undeclared.sorted()) without declaring it") }
            return "\(target) " + parts.joined(separator: "; ")
        }
    }

    /// The repository's root (this file is `Tests/BrokerCoreTests/Architecture/…`).
    static let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func everyModuleImportsOnlyWhatTheArchitectureAllows() throws {
        let root = Self.root
        let allowed = try Self.allowed(in: String(contentsOf: root.appending(path: "ARCHITECTURE.md"), encoding: .utf8))
        let targets = Self.dependencies(in: try String(contentsOf: root.appending(path: "Package.swift"), encoding: .utf8))
        #expect(targets.count >= 12)
        #expect(Set(targets.keys) == Set(allowed.keys), "modules in Package.swift and ARCHITECTURE.md differ")
        for (target, imports) in targets.sorted(by: { $0.key < $1.key }) {
            let forbidden = imports.subtracting(allowed[target] ?? [])
            #expect(forbidden.isEmpty, "\(target) depends on \(forbidden.sorted()), which ARCHITECTURE.md does not allow")
        }
    }

    @Test func aForbiddenEdgeIsFound() throws {
        let table = "<!-- modules:begin -->\n| `A` | x | — |\n| `B` | y | `A` |\n<!-- modules:end -->"
        let manifest = #".target(name: "A", dependencies: ["B", .product(name: "C", package: "c")]), .target(name: "B", dependencies: ["A"])"#
        let allowed = try Self.allowed(in: table)
        let targets = Self.dependencies(in: manifest)
        #expect(targets == ["A": ["B"], "B": ["A"]])
        #expect(targets["A"]!.subtracting(allowed["A"]!) == ["B"])
        #expect(targets["B"]!.subtracting(allowed["B"]!).isEmpty)
    }

    /// Every target (tests, benchmarks and the fault harness too) declares exactly the project
    /// modules its sources import: no dependency kept after its last use, none used through another.
    @Test func everyTargetDeclaresExactlyTheProjectModulesItImports() throws {
        let root = Self.root
        let targets = Self.targets(in: try String(contentsOf: root.appending(path: "Package.swift"), encoding: .utf8))
        let modules = Set(targets.keys)
        var imported: [String: Set<String>] = [:]
        for (name, target) in targets where target.kind != "systemLibrary" {
            let folder = root.appending(path: target.path)
            let files = try #require(FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil), "\(name): no folder \(target.path)")
            var found = Set<String>()
            var sources = 0
            for case let file as URL in files where file.pathExtension == "swift" {
                found.formUnion(Self.imports(in: try String(contentsOf: file, encoding: .utf8), among: modules))
                sources += 1
            }
            #expect(sources > 0, "\(name): no Swift sources under \(target.path)")
            imported[name] = found
        }
        let declared = targets.filter { $0.value.kind != "systemLibrary" }.mapValues(\.dependencies)
        #expect(declared.count >= 20)
        let mismatches = Self.mismatches(declared: declared, imported: imported)
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
    }

    /// The synthetic province is test and demonstration data: only the command line, the benchmarks,
    /// the fault harness, `ScoringValidation` and tests reach it, directly or through another module,
    /// so the gateway never links the generator.
    @Test func onlyTheCommandLineBenchmarksFaultHarnessAndTestsReachTheSyntheticProvince() throws {
        let targets = Self.targets(in: try String(contentsOf: Self.root.appending(path: "Package.swift"), encoding: .utf8))
        let reaching = Set(targets.keys.filter { Self.closure(of: $0, in: targets.mapValues(\.dependencies)).contains("SyntheticProvince") })
        let allowed: Set<String> = ["ScoringValidation", "CreditBrokerCLI", "CreditBrokerBench", "CreditBrokerFaults"]
        let others = reaching.subtracting(allowed).filter { targets[$0]?.kind != "testTarget" }
        #expect(others.isEmpty, "\(others.sorted()) reach SyntheticProvince")
        #expect(!reaching.contains("Gateway") && !reaching.contains("Scoring") && reaching.contains("CreditBrokerCLI"))
    }

    /// Every target `target` depends on, directly or through others.
    static func closure(of target: String, in dependencies: [String: Set<String>]) -> Set<String> {
        var reached = Set<String>()
        var next = Array(dependencies[target] ?? [])
        while let name = next.popLast() {
            if reached.insert(name).inserted { next.append(contentsOf: dependencies[name] ?? []) }
        }
        return reached
    }

    @Test func aDependencyNeverImportedAndAnImportNeverDeclaredAreFound() {
        let manifest = #"""
            .target(name: "A"),
            .target(name: "B", dependencies: ["A", .product(name: "Yams", package: "Yams")]),
            .target(name: "C", dependencies: ["A", "B"], path: "Elsewhere/C"),
            .testTarget(name: "CTests", dependencies: ["C"]),
            """#
        let targets = Self.targets(in: manifest)
        #expect(targets["C"] == Target(kind: "target", dependencies: ["A", "B"], path: "Elsewhere/C"))
        #expect(targets["CTests"] == Target(kind: "testTarget", dependencies: ["C"], path: "Tests/CTests"))
        let modules = Set(targets.keys)
        let sourceOfB = "import Foundation\nimport Yams\n// import A is only a comment\nlet a = \"import A\"\n"
        let sourceOfC = "@preconcurrency import A\ninternal import struct B.Thing\n"
        let sourceOfCTests = "import Testing\n@testable import C\nimport A\n"
        let imported = [
            "A": Self.imports(in: "import Foundation\n", among: modules),
            "B": Self.imports(in: sourceOfB, among: modules),
            "C": Self.imports(in: sourceOfC, among: modules),
            "CTests": Self.imports(in: sourceOfCTests, among: modules),
        ]
        #expect(imported["B"] == [])
        #expect(imported["C"] == ["A", "B"])
        #expect(imported["CTests"] == ["A", "C"])
        #expect(Self.mismatches(declared: targets.mapValues(\.dependencies), imported: imported) == [
            #"B declares ["A"] and never imports it"#,
            #"CTests imports ["A"] without declaring it"#,
        ])
    }

    private static func quoted(_ cell: String) -> [String] {
        cell.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    private static func strings(_ text: String) -> [String] {
        text.matches(of: /"([^"]+)"/).map { String($0.1) }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
