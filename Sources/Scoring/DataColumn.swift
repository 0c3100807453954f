import BrokerCore
import Formats

/// One CSV column typed for training: numeric when every non-empty cell is a finite number,
/// categorical otherwise. An empty cell is missing.
public enum DataColumn: Sendable, Equatable {
    case numeric([Double?])
    case categorical([String?])

    /// Column `index` of `table`, typed.
    public init(_ table: CSVTable, column index: Int) {
        var numbers: [Double?] = []
        numbers.reserveCapacity(table.rows.count)
        for row in table.rows {
            let cell = row[index]
            if cell.isEmpty { numbers.append(nil); continue }
            guard let number = Double(cell), number.isFinite else {
                self = .categorical(table.rows.map { $0[index].isEmpty ? nil : $0[index] })
                return
            }
            numbers.append(number)
        }
        self = .numeric(numbers)
    }

    /// The cells of rows `indices`, in that order.
    func rows(_ indices: [Int]) -> DataColumn {
        switch self {
        case let .numeric(values): .numeric(indices.map { values[$0] })
        case let .categorical(values): .categorical(indices.map { values[$0] })
        }
    }
}
