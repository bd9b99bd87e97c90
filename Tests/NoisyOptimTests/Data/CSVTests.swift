import Foundation
import Testing
import NoisyOptim

/// Line ends, byte-order marks, overflow, NUL and garbage: each input is read correctly or
/// refused with a `DataError` naming the line and the column.
@Suite struct CSVReadingTests {
    static let readable: [(name: String, text: String, expected: [[Float]])] = [
        ("LF", "1,2\n3,4\n", [[1, 2], [3, 4]]),
        ("CRLF", "1,2\r\n3,4\r\n", [[1, 2], [3, 4]]),
        ("CR only", "1,2\r3,4\r", [[1, 2], [3, 4]]),
        ("mixed line ends", "1,2\r\n3,4\n5,6\r7,8", [[1, 2], [3, 4], [5, 6], [7, 8]]),
        ("BOM", "\u{FEFF}1,2\n3,4\n", [[1, 2], [3, 4]]),
        ("BOM and CRLF", "\u{FEFF}1,2\r\n\r\n3,4\r\n", [[1, 2], [3, 4]]),
        ("blanks around fields", " 1 ,\t2\t\n  \t \n3, 4.5", [[1, 2], [3, 4.5]]),
        ("number forms", ".5,5.,+1,-1.5e-3,2E+2", [[0.5, 5, 1, -1.5e-3, 200]]),
        ("largest finite", "3.4028234e38,-3.4028234e38", [[3.4028234e38, -3.4028234e38]]),
        ("underflow reads as ±0", "1e-50,-1e-50", [[0, -0]]),
    ]

    @Test(arguments: readable.indices)
    func readsCorrectly(_ index: Int) throws {
        let c = Self.readable[index]
        let table = try NumericTable(parsing: c.text)
        #expect(table.values.shape == [c.expected.count, c.expected[0].count], "\(c.name)")
        #expect(table.values.scalars == c.expected.flatMap { $0 }, "\(c.name)")
    }

    @Test func headerLinesCountEveryLineEndOnce() throws {
        let table = try NumericTable(parsing: "a,b\r\nc,d\r1,2\n", skippingLines: 2)
        #expect(table.values.scalars == [1, 2])
        #expect(throws: DataError.notANumber(line: 3, column: 2, field: "x")) {
            try NumericTable(parsing: "1,2\r\n3,4\r5,x\r\n")
        }
    }

    @Test func specialValuesAreReadAsWritten() throws {
        let values = try NumericTable(parsing: "nan,-inf,Infinity,+INF").values.scalars
        #expect(values[0].isNaN && values[1] == -.infinity && values[2] == .infinity && values[3] == .infinity)
    }

    static let refused: [(text: String, error: DataError)] = [
        ("1,2\n3,1e39\n", .outOfRange(line: 2, column: 2, field: "1e39")),
        ("3.5e38", .outOfRange(line: 1, column: 1, field: "3.5e38")),
        ("1,-4e38", .outOfRange(line: 1, column: 2, field: "-4e38")),
        ("2\u{0}xyz,1", .notANumber(line: 1, column: 1, field: "2\u{0}xyz")),
        ("1,2\u{0}", .notANumber(line: 1, column: 2, field: "2\u{0}")),
        ("1,2 3", .notANumber(line: 1, column: 2, field: "2 3")),
        ("1,2x", .notANumber(line: 1, column: 2, field: "2x")),
        ("1,0x1p3", .notANumber(line: 1, column: 2, field: "0x1p3")),
        ("1,1e", .notANumber(line: 1, column: 2, field: "1e")),
        ("1,.", .notANumber(line: 1, column: 2, field: ".")),
        ("1,-", .notANumber(line: 1, column: 2, field: "-")),
        ("1,nanx", .notANumber(line: 1, column: 2, field: "nanx")),
        ("1,\u{A0}2", .notANumber(line: 1, column: 2, field: "\u{A0}2")),
        ("1,2\n\u{FEFF}3,4", .notANumber(line: 2, column: 1, field: "\u{FEFF}3")),
        ("1,2\r\n3,4,5\r\n", .raggedRow(line: 2, expected: 2, found: 3)),
        ("1,2\r\n\r\n3\r\n", .raggedRow(line: 3, expected: 2, found: 1)),
        ("\u{FEFF}", .empty),
        ("\r\n\r", .empty),
    ]

    @Test(arguments: refused.indices)
    func refusesNamingLineAndColumn(_ index: Int) {
        let c = Self.refused[index]
        #expect(throws: c.error, "\(c.text.debugDescription)") { try NumericTable(parsing: c.text) }
    }

    @Test func messagesShowInvisibleCharacters() {
        #expect(DataError.notANumber(line: 1, column: 1, field: "2\u{0}xyz").description
                == #"line 1, column 1: '2\u{0}xyz' is not a number"#)
        #expect(DataError.notANumber(line: 2, column: 1, field: "\u{FEFF}3").description
                == #"line 2, column 1: '\u{FEFF}3' is not a number"#)
        #expect(DataError.outOfRange(line: 3, column: 4, field: "1e39").description
                == "line 3, column 4: '1e39' is outside Float32's range (±3.4028235e+38)")
    }

    @Test func filesWithBOMAndCRLFAreRead() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("noisyoptim-csv-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data([0xEF, 0xBB, 0xBF] + Array("x,y\r\n1,2\r\n3,4\r\n".utf8)).write(to: url)
        let table = try NumericTable(contentsOf: url, skippingLines: 1)
        #expect(table.values.scalars == [1, 2, 3, 4])
        // Bytes that are not UTF-8 inside a field: refused, naming where.
        try Data(Array("1,2\n3,".utf8) + [0xFF, 0x34]).write(to: url)
        #expect(throws: DataError.notANumber(line: 2, column: 2, field: "\u{FFFD}4")) { try NumericTable(contentsOf: url) }
    }

    @Test func separators() throws {
        #expect(try NumericTable(parsing: "1\t\t2\r3  4", separator: nil).values.scalars == [1, 2, 3, 4])
        let tsv = try NumericTable(parsing: "1\t2\r\n3\t4", separator: "\t")
        #expect(tsv.values.scalars == [1, 2, 3, 4])
        #expect(throws: DataError.notANumber(line: 1, column: 2, field: "")) { try NumericTable(parsing: "1\t\t2", separator: "\t") }
        let semicolons = try NumericTable(parsing: "1;2\n3;4", separator: ";")
        #expect(semicolons.values.scalars == [1, 2, 3, 4])
        for bad: Character in ["\r\n", "\n", " ", "1", "e", ".", "-"] {
            #expect(throws: DataError.self, "\(bad.debugDescription)") { try NumericTable(parsing: "1,2", separator: bad) }
        }
        #expect(throws: DataError.self) { try NumericTable(parsing: "1,2", skippingLines: -1) }
    }

    /// Labels that are not classes are refused naming the example and the value.
    @Test func labelErrorsNameTheRow() throws {
        let table = try NumericTable(parsing: "0.5,1\n0.25,2\n0.125,7\n")
        #expect(throws: DataError.invalid("class label 7.0 of example 2 is not an integer in 0..<3")) {
            try Dataset(table: table, classCount: 3)
        }
        let fractional = try NumericTable(parsing: "0.5,1\n0.25,1.5\n")
        #expect(throws: DataError.invalid("class label 1.5 of example 1 is not an integer in 0..<3")) {
            try Dataset(table: fractional, classCount: 3)
        }
        #expect(throws: DataError.invalid("feature 1 of example 0 is nan; a data set needs finite values")) {
            try Dataset(table: NumericTable(parsing: "0.5,nan,1\n"))
        }
        #expect(throws: DataError.invalid("classCount must be at least 1, got 0")) { try Dataset(table: table, classCount: 0) }
    }
}
