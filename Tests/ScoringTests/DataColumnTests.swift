import BrokerCore
import Formats
import Testing
@testable import Scoring

@Suite struct DataColumnTests {
    @Test func columnsAreTypedAndEmptyCellsAreMissing() throws {
        let table = try CSVTable(parsing: "n,c\n1.5,x\n,7\n-2,\n")
        #expect(DataColumn(table, column: 0) == .numeric([1.5, nil, -2]))
        #expect(DataColumn(table, column: 1) == .categorical(["x", "7", nil]))
    }

    @Test func anEmptyTargetCellNamesItsLine() throws {
        let table = try CSVTable(parsing: "x,y\n1,1\n2,\n")
        #expect(throws: CSVError(line: 3, message: "target column y is empty")) { try TargetColumn(name: "y").labels(in: table) }
        #expect(try TargetColumn(name: "x", badValue: "2").labels(in: table) == [false, true])
    }
}
