import Foundation
import Testing
import NoisyOptim

/// Seeded mutations of a valid CSV file — byte flips, deletions, insertions, truncations — each
/// either parse to exactly what a small independent reader gives, or throw the same `DataError`
/// (same kind, line, column and field). Never a crash, never a silently different value.
@Suite struct CSVFuzzTests {
    /// A valid table with the forms that matter: CRLF and LF lines, blanks, signs, exponents,
    /// values near Float32's limits, a blank line.
    static let base = Array((
        "\u{FEFF}0.5, -1.25e-3,7,  +3\r\n" +
        "1e38,2,\t3.,-.5\n" +
        "\r\n" +
        "3.4028234e38 ,-0,nan,4E+2\r" +
        "12345678901234567890,1e-45,-inf,0\n" +
        "9,8,7,6\n"
    ).utf8)

    /// Bytes a mutation draws from: the grammar's own characters, line ends, the BOM's bytes,
    /// a NUL, bytes that are not UTF-8, and letters that start nan/inf.
    static let alphabet: [UInt8] = Array("0123456789,.eE+-  \t\r\n\r\nnaifINFx".utf8) + [0x00, 0xEF, 0xBB, 0xBF, 0xFF, 0xC3, 0x80, 0x0B]

    static func mutate(_ bytes: [UInt8], using g: inout Philox4x32) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...3, using: &g) {
            func pick() -> UInt8 {
                Bool.random(using: &g) ? alphabet.randomElement(using: &g)! : UInt8.random(in: 0...255, using: &g)
            }
            switch Int.random(in: 0..<10, using: &g) {
            case 0..<3 where !bytes.isEmpty: // flip
                bytes[Int.random(in: 0..<bytes.count, using: &g)] = pick()
            case 3..<5 where !bytes.isEmpty: // delete a few
                let start = Int.random(in: 0..<bytes.count, using: &g)
                bytes.removeSubrange(start..<min(bytes.count, start + Int.random(in: 1...3, using: &g)))
            case 5..<8: // insert a few
                let at = Int.random(in: 0...bytes.count, using: &g)
                bytes.insert(contentsOf: (0..<Int.random(in: 1...3, using: &g)).map { _ in pick() }, at: at)
            case 8: // insert a number that overflows Float32, or a BOM
                let at = Int.random(in: 0...bytes.count, using: &g)
                bytes.insert(contentsOf: Bool.random(using: &g) ? Array("4e38".utf8) : [0xEF, 0xBB, 0xBF], at: at)
            default: // truncate
                bytes.removeSubrange(Int.random(in: 0...bytes.count, using: &g)...)
            }
        }
        return bytes
    }

    @Test func mutationsParseLikeTheReferenceOrThrowTheSameError() throws {
        var g = Philox4x32(seed: 2026)
        var parsed = 0, refused = 0
        for index in 0..<1_500 {
            let bytes = Self.mutate(Self.base, using: &g)
            let text = String(decoding: bytes, as: UTF8.self)
            let skip = index % 7 == 0 ? 1 : 0
            let expected = ReferenceCSV.parse(text, skippingLines: skip)
            let context = "mutation \(index): \(text.debugDescription)"
            do {
                let table = try NumericTable(parsing: text, skippingLines: skip)
                guard case let .success(rows) = expected else {
                    Issue.record("\(context) parsed, the reference says \(expected)")
                    continue
                }
                #expect(ReferenceCSV.same(table.values, rows), "\(context)")
                parsed += 1
            } catch let error as DataError {
                #expect(expected == .failure(error), "\(context)")
                refused += 1
            }
        }
        // The mutations reach both outcomes often, so neither side of the comparison is idle.
        #expect(parsed > 100 && refused > 500, "parsed \(parsed), refused \(refused)")
    }

    /// Fields split by runs of spaces and tabs (separator nil), from the same mutations with the
    /// commas turned into blanks.
    @Test func whitespaceSeparatedMutations() throws {
        var g = Philox4x32(seed: 11)
        let base = Self.base.map { $0 == UInt8(ascii: ",") ? UInt8(ascii: " ") : $0 }
        var parsed = 0
        for index in 0..<600 {
            let text = String(decoding: Self.mutate(base, using: &g), as: UTF8.self)
            let expected = ReferenceCSV.parse(text, skippingLines: 0, separatedByBlanks: true)
            do {
                let table = try NumericTable(parsing: text, separator: nil)
                guard case let .success(rows) = expected else {
                    Issue.record("mutation \(index) parsed, the reference says \(expected)")
                    continue
                }
                #expect(ReferenceCSV.same(table.values, rows), "mutation \(index): \(text.debugDescription)")
                parsed += 1
            } catch let error as DataError {
                #expect(expected == .failure(error), "mutation \(index): \(text.debugDescription)")
            }
        }
        #expect(parsed > 50, "parsed \(parsed)")
    }

    /// Files go through the byte path, where bytes need not be UTF-8.
    @Test func mutatedFilesParseLikeTheReference() throws {
        var g = Philox4x32(seed: 7)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("noisyoptim-fuzz-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: url) }
        for index in 0..<150 {
            let bytes = Self.mutate(Self.base, using: &g)
            try Data(bytes).write(to: url)
            let expected = ReferenceCSV.parse(String(decoding: bytes, as: UTF8.self), skippingLines: 0)
            do {
                let table = try NumericTable(contentsOf: url)
                guard case let .success(rows) = expected else {
                    Issue.record("file mutation \(index) parsed, the reference says \(expected)")
                    continue
                }
                #expect(ReferenceCSV.same(table.values, rows), "file mutation \(index)")
            } catch let error as DataError {
                #expect(expected == .failure(error), "file mutation \(index): \(bytes)")
            }
        }
    }
}

/// A reader written separately from the library's, from the documented format: scalars instead
/// of bytes, a regular expression instead of a hand-written scanner.
enum ReferenceCSV {
    static func isDecimal(_ string: String) -> Bool {
        let decimal = try! Regex(#"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"#).matchingSemantics(.unicodeScalar)
        return (try? decimal.wholeMatch(in: string)) != nil
    }

    static func parse(_ text: String, skippingLines: Int, separatedByBlanks: Bool = false) -> Result<[[Float]], DataError> {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        // Lines: CRLF, LF and CR each end one.
        var lines: [[Unicode.Scalar]] = [[]]
        var i = 0
        while i < scalars.count {
            let s = scalars[i]
            if s == "\r" || s == "\n" {
                if s == "\r" && i + 1 < scalars.count && scalars[i + 1] == "\n" { i += 1 }
                lines.append([])
            } else {
                lines[lines.count - 1].append(s)
            }
            i += 1
        }
        func trimmed(_ s: ArraySlice<Unicode.Scalar>) -> ArraySlice<Unicode.Scalar> {
            var s = s
            while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
            while let l = s.last, l == " " || l == "\t" { s.removeLast() }
            return s
        }
        var rows: [[Float]] = []
        for (index, line) in lines.enumerated() where index + 1 > skippingLines {
            let content = trimmed(line[...])
            if content.isEmpty { continue }
            let fields = separatedByBlanks
                ? content.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0[...] }
                : content.split(separator: ",", omittingEmptySubsequences: false).map(trimmed)
            if let first = rows.first, first.count != fields.count {
                return .failure(.raggedRow(line: index + 1, expected: first.count, found: fields.count))
            }
            var row: [Float] = []
            for (column, field) in fields.enumerated() {
                var string = ""
                string.unicodeScalars.append(contentsOf: field)
                if isDecimal(string) {
                    let value = Float(string)!
                    guard value.isFinite else { return .failure(.outOfRange(line: index + 1, column: column + 1, field: string)) }
                    row.append(value)
                } else if isSpecial(field) {
                    row.append(Float(string)!)
                } else {
                    return .failure(.notANumber(line: index + 1, column: column + 1, field: string))
                }
            }
            rows.append(row)
        }
        return rows.isEmpty ? .failure(.empty) : .success(rows)
    }

    /// nan, inf or infinity, ASCII letters in any case, after an optional sign.
    static func isSpecial(_ field: ArraySlice<Unicode.Scalar>) -> Bool {
        var field = field
        if let f = field.first, f == "+" || f == "-" { field.removeFirst() }
        guard field.allSatisfy({ $0.isASCII }) else { return false }
        let word = String(field.map { Character(Unicode.Scalar(UInt8($0.value) | 0x20)) })
        return ["nan", "inf", "infinity"].contains(word)
    }

    /// Same shape and the same scalars bit for bit (any NaN matching any NaN).
    static func same(_ values: Tensor, _ rows: [[Float]]) -> Bool {
        guard values.shape == [rows.count, rows[0].count] else { return false }
        return zip(values.scalars, rows.flatMap { $0 }).allSatisfy { a, b in
            a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN)
        }
    }
}
