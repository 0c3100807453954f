import Testing
@testable import Scoring

@Suite struct CSVTableTests {
    @Test func quotedFieldsHoldCommasQuotesAndLineBreaks() throws {
        let table = try CSVTable(parsing: "a,b,c\r\n1,\"x, \"\"y\"\"\",\"two\nlines\"\r\n\n,,3\n")
        #expect(table.header == ["a", "b", "c"])
        #expect(table.rows == [["1", "x, \"y\"", "two\nlines"], ["", "", "3"]])
        #expect(table.lines == [2, 5])
    }

    @Test func aMissingFinalNewlineAndATrailingEmptyFieldAreRead() throws {
        let table = try CSVTable(parsing: "a,b\n1,")
        #expect(table.rows == [["1", ""]])
    }

    @Test(arguments: [
        ("a,b\n1,2\n3\n", 3, "expected 2 fields, found 1"),
        ("a,b\n1,\"2\n3,4\n", 2, "quoted field never closed"),
        ("a,b\n1,2\n3,x\"y\n", 3, "a quote inside an unquoted field (field 2)"),
        ("a,b\n\"1\"x,2\n", 2, "text after a closing quote (field 1)"),
        ("a,a\n1,2\n", 1, "header column a appears twice"),
        ("", 1, "the file has no header row"),
    ])
    func malformedInputNamesTheLine(text: String, line: Int, message: String) {
        #expect(throws: CSVError(line: line, message: message)) { try CSVTable(parsing: text) }
    }

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
