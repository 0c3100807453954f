@testable import BrokerStore
import Foundation
import PostgresClient
import TestSupport
import Testing

/// Keeps `Deploy/scale-out.md`'s distribution plan true of the schema the migrations build: every
/// table is placed, every table that holds a `subject_key` is distributed by it (or the plan says
/// why not), and every primary key, unique constraint and unique index of a distributed table
/// includes its distribution column, which Citus requires, except the keys the plan lists as the
/// schema changes to make before distributing (and those must still exist, so the list stays
/// true when one is fixed).
@Suite struct ScaleOutPlanTests {
    struct Placement: Equatable {
        var kind: String          // distributed, reference or local
        var column: String?       // the distribution column of a distributed table
        var blockers: Set<String> // unique keys (index names) that omit it, to change before distributing
        var keyedOtherwise: Bool  // holds subject_key but is deliberately distributed by another column
    }

    static let planFile = URL(filePath: #filePath).deletingLastPathComponent()
        .appending(path: "../../Deploy/scale-out.md").standardized

    /// The rows between `<!-- distribution:begin -->` and `<!-- distribution:end -->`:
    /// | `table` | kind | `column` or — | blockers (`index`, …) or — | why |
    static func plan() throws -> [String: Placement] {
        let text = try String(contentsOf: planFile, encoding: .utf8)
        guard let begin = text.range(of: "<!-- distribution:begin -->"), let end = text.range(of: "<!-- distribution:end -->") else {
            throw PlanError(description: "\(planFile.path): no distribution:begin/end markers")
        }
        var plan: [String: Placement] = [:]
        for line in text[begin.upperBound..<end.lowerBound].split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 6 else { throw PlanError(description: "plan row with too few cells: \(line)") }
            let table = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let names = { (cell: String) in Set(cell.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }) }
            plan[table] = Placement(
                kind: cells[2].replacingOccurrences(of: "*", with: ""),
                column: names(cells[3]).first,
                blockers: names(cells[4]),
                keyedOtherwise: cells[5].contains("not by subject")
            )
        }
        return plan
    }

    struct PlanError: Error, CustomStringConvertible { var description: String }

    @Test func everyTableIsPlacedAndEveryDistributedKeyIncludesItsColumn() async throws {
        let plan = try Self.plan()
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        try await Migrator(pool: pool).migrate()
        var columns: [String: Set<String>] = [:]
        for row in try await pool.query("""
            SELECT table_name::text, string_agg(column_name::text, ',') FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name IN (SELECT tablename FROM pg_tables WHERE schemaname = 'public')
            GROUP BY 1
            """) {
            columns[try row.decode(String.self, at: 0)] = Set(try row.decode(String.self, at: 1).split(separator: ",").map(String.init))
        }
        var uniqueKeys: [String: [(index: String, columns: Set<String>)]] = [:]
        for row in try await pool.query("""
            SELECT t.relname::text, i.relname::text, string_agg(a.attname::text, ',')
            FROM pg_index x
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (x.indkey)
            WHERE n.nspname = 'public' AND x.indisunique
            GROUP BY 1, 2
            """) {
            let columnNames = Set(try row.decode(String.self, at: 2).split(separator: ",").map(String.init))
            uniqueKeys[try row.decode(String.self, at: 0), default: []].append((try row.decode(String.self, at: 1), columnNames))
        }
        await pool.close()

        #expect(Set(columns.keys) == Set(plan.keys), "tables not placed in Deploy/scale-out.md: \(Set(columns.keys).subtracting(plan.keys).sorted()); placed but absent: \(Set(plan.keys).subtracting(columns.keys).sorted())")
        for (table, tableColumns) in columns.sorted(by: { $0.key < $1.key }) {
            guard let placement = plan[table] else { continue }
            #expect(["distributed", "reference", "local"].contains(placement.kind), "\(table): unknown kind \(placement.kind)")
            if tableColumns.contains("subject_key"), !placement.keyedOtherwise {
                #expect(placement.kind == "distributed" && placement.column == "subject_key",
                        "\(table) holds subject_key: distribute it by subject_key, or say in the plan why it is \"not by subject\"")
            }
            guard placement.kind == "distributed", let column = placement.column else { continue }
            let keys = uniqueKeys[table] ?? []
            let omitting = Set(keys.filter { !$0.columns.contains(column) }.map(\.index))
            let missingColumn = tableColumns.contains(column) ? Set<String>() : ["no \(column) column"]
            #expect(omitting.union(missingColumn) == placement.blockers, """
                \(table), distributed by \(column): keys without it \(omitting.union(missingColumn).sorted()), \
                the plan's blockers \(placement.blockers.sorted())
                """)
        }
    }
}
