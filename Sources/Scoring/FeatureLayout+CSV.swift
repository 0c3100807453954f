import BrokerCore
import Formats

extension FeatureLayout {
    /// One vector per row of `table`, reading each feature from the column of the same name.
    /// Empty cells are missing; a numeric feature's cell must be a finite number.
    public func vectors(from table: CSVTable) throws(CSVError) -> [FeatureVector] {
        var columns: [Int] = []
        for name in names { columns.append(try table.column(named: name)) }
        var vectors: [FeatureVector] = []
        vectors.reserveCapacity(table.rows.count)
        for (row, line) in zip(table.rows, table.lines) {
            var vector = makeVector()
            for (slot, column) in columns.enumerated() {
                let cell = row[column]
                if cell.isEmpty { continue }
                if kinds[slot] == .numeric {
                    guard let number = Double(cell), number.isFinite else {
                        throw CSVError(line: line, message: "column \(names[slot]) is not a number")
                    }
                    vector.setNumber(number, inSlot: slot)
                } else {
                    vector.setCategory(cell, inSlot: slot)
                }
            }
            vectors.append(vector)
        }
        return vectors
    }
}
