import BrokerCore
import Formats

/// The outcome column of a CSV: each row is bad when its cell equals the bad value.
public struct TargetColumn: Sendable {
    public var name: String
    /// The cell text that marks a bad (defaulted) row.
    public var badValue: String

    public init(name: String, badValue: String = "1") {
        self.name = name
        self.badValue = badValue
    }

    /// One label per row of `table` (`true` = bad); an empty target cell is an error naming its line.
    public func labels(in table: CSVTable) throws(CSVError) -> [Bool] {
        let column = try table.column(named: name)
        var labels: [Bool] = []
        labels.reserveCapacity(table.rows.count)
        for (row, line) in zip(table.rows, table.lines) {
            let cell = row[column]
            if cell.isEmpty { throw CSVError(line: line, message: "target column \(name) is empty") }
            labels.append(cell == badValue)
        }
        return labels
    }
}
