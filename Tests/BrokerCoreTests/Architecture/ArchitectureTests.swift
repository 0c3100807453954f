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

    /// Each non-test target of the manifest and the project's own targets it depends on (product
    /// dependencies of other packages left out).
    static func dependencies(in manifest: String) -> [String: Set<String>] {
        let withoutProducts = manifest.replacing(/\.product\([^)]*\)/, with: "")
        var targets: [String: Set<String>] = [:]
        let declaration = /\.(target|executableTarget|systemLibrary)\(\s*name:\s*"([^"]+)"/
        let matches = withoutProducts.matches(of: declaration)
        for (index, match) in matches.enumerated() {
            let end = index + 1 < matches.count ? matches[index + 1].range.lowerBound : withoutProducts.endIndex
            let body = withoutProducts[match.range.upperBound..<end]
            var names = Set<String>()
            if let list = body.firstMatch(of: /dependencies:\s*\[([^\]]*)\]/) {
                names = Set(Self.strings(String(list.1)))
            }
            targets[String(match.2)] = names
        }
        return targets
    }

    @Test func everyModuleImportsOnlyWhatTheArchitectureAllows() throws {
        let root = Repository.root
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
