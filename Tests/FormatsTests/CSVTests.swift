import Testing
import Formats

@Suite struct CSVTests {
    @Test func quotedFieldsHoldCommasQuotesAndLineBreaks() throws {
        let table = try CSVTable(parsing: "a,b,c\r\n1,\"x, \"\"y\"\"\",\"two\nlines\"\r\n\n,,3\n")
        #expect(table.header == ["a", "b", "c"])
        #expect(table.rows == [["1", "x, \"y\"", "two\nlines"], ["", "", "3"]])
        #expect(table.lines == [2, 5])
    }

    /// A scorecard's training data saved by Excel as "CSV UTF-8": a byte order mark, then CRLF lines.
    /// The mark was read into the first column's name ("\u{FEFF}age"), so that column was unknown.
    @Test func aByteOrderMarkOpeningTheTextIsNoPartOfTheHeader() throws {
        let table = try CSVTable(parsing: "\u{FEFF}age,bad\r\n31,0\r\n")
        #expect(table.header == ["age", "bad"])
        #expect(Array(table.header[0].utf8) == Array("age".utf8))
        #expect(table.rows == [["31", "0"]] && table.lines == [2])
        // Elsewhere it is data.
        #expect(try CSVTable(parsing: "age,bad\n\u{FEFF}31,0\n").rows == [["\u{FEFF}31", "0"]])
    }

    @Test func aMissingFinalNewlineAndATrailingEmptyFieldAreRead() throws {
        let table = try CSVTable(parsing: "a,b\n1,")
        #expect(table.rows == [["1", ""]])
    }

    @Test(arguments: [
        ("a,b\n1,2\n3\n", 3, "expected 2 fields, found 1"),
        ("a,b\n1,\"2\n3,4\n", 2, "a quoted field is not closed"),
        ("a,b\n1,2\n3,x\"y\n", 3, "a quote inside an unquoted field (field 2)"),
        ("a,b\n\"1\"x,2\n", 2, "text after a closing quote (field 1)"),
        ("a,a\n1,2\n", 1, "header column a appears twice"),
        ("", 1, "the file has no header row"),
    ])
    func malformedInputNamesTheLine(text: String, line: Int, message: String) {
        #expect(throws: CSVError(line: line, message: message)) { try CSVTable(parsing: text) }
    }

    @Test func fieldsAreQuotedOnlyWhenTheyMustBeAndReadBackAsWritten() throws {
        let fields = ["plain", "a,b", "say \"hi\"", "two\nlines", "", "中文"]
        var buffer: [UInt8] = []
        CSV.appendRecord(fields, to: &buffer, terminator: "")
        #expect(String(decoding: buffer, as: UTF8.self) == #"plain,"a,b","say ""hi""","two"# + "\nlines\",,中文")
        #expect(try CSV.fields(of: buffer) == fields)
        let table = try CSVTable(parsing: CSV.text(header: ["x", "y"], rows: [["1,2", "\"q\""], ["", "z"]]))
        #expect(table.rows == [["1,2", "\"q\""], ["", "z"]])
    }

    @Test func guardingFormulasPrefixesWhatASpreadsheetWouldRunButNotNumbers() {
        func field(_ text: String) -> String {
            var buffer: [UInt8] = []
            CSV.appendField(text, to: &buffer, guardingFormulas: true)
            return String(decoding: buffer, as: UTF8.self)
        }
        #expect(field(#"=HYPERLINK("x")"#) == #""'=HYPERLINK(""x"")""#)
        #expect(field("@SUM(A1)") == "'@SUM(A1)")
        #expect(field("-5.00") == "-5.00")
        #expect(field("+12") == "+12")
        #expect(field("-") == "'-")
    }

    /// Only a quote at a field's start opens a quoted field that may run on to the next line: a
    /// stray quote inside a field is that line's error, not the rest of the file's.
    @Test func aRecordContinuesOnTheNextLineOnlyInsideAQuotedField() {
        #expect(CSV.hasOpenQuote(Array(#"1,"two"#.utf8)))
        #expect(CSV.hasOpenQuote(Array(#"1,"a ""quoted"" "#.utf8)))
        #expect(!CSV.hasOpenQuote(Array(#"1,"a ""quoted"" b""#.utf8)))
        #expect(!CSV.hasOpenQuote(Array(#"3,x"y"#.utf8)))
        #expect(!CSV.hasOpenQuote(Array(#""x","y",z"#.utf8)))
    }

    @Test(arguments: [
        (#"a,"b"c"#, CSV.SyntaxError(field: 2, reason: "text after a closing quote")),
        (#"a,b"c"#, CSV.SyntaxError(field: 2, reason: "a quote inside an unquoted field")),
        (#"a,"b"#, CSV.SyntaxError(field: 2, reason: "a quoted field is not closed")),
    ])
    func aMalformedRecordNamesItsField(record: String, error: CSV.SyntaxError) {
        #expect(throws: error) { try CSV.fields(of: Array(record.utf8)) }
    }
}
