// CSV: numeric tables from text, with errors that say where a file is malformed.
//
// The parser reads UTF-8 bytes, not Characters: "\r\n" is a single Character in Swift, so a
// Character-based split on "\n" never sees the line ends of a Windows file. Every field is checked
// against a decimal grammar before it is converted, because `Float(_:)` stops at a NUL
// ("2\u{0}xyz" reads as 2) and turns overflow into ∞.

import Foundation

/// Why a numeric table could not be read.
public enum DataError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read at all.
    case unreadable(path: String, reason: String)
    /// A field is not a number. `column` counts fields from 1.
    case notANumber(line: Int, column: Int, field: String)
    /// A field is a finite number too large for Float32 (|x| > 3.4028235·10³⁸), which would read
    /// as ±∞. `column` counts fields from 1.
    case outOfRange(line: Int, column: Int, field: String)
    /// A row has a different number of fields than the first row.
    case raggedRow(line: Int, expected: Int, found: Int)
    /// The table has no rows.
    case empty
    /// The table's contents do not fit what was asked of it (a label column out of range, a
    /// class label that is not a non-negative integer, features and targets of different lengths).
    case invalid(String)

    /// A sentence saying what is wrong and where. Invisible characters in a field (a NUL, a
    /// byte-order mark, a control character) are shown as `\u{…}` escapes.
    public var description: String {
        switch self {
        case let .unreadable(path, reason): "cannot read \(path): \(reason)"
        case let .notANumber(line, column, field): "line \(line), column \(column): '\(DataError.visible(field))' is not a number"
        case let .outOfRange(line, column, field):
            "line \(line), column \(column): '\(DataError.visible(field))' is outside Float32's range (±\(Float.greatestFiniteMagnitude))"
        case let .raggedRow(line, expected, found): "line \(line) has \(found) fields, expected \(expected) like the first row"
        case .empty: "the table has no rows"
        case let .invalid(message): message
        }
    }

    /// `field` with invisible and control characters escaped, cut after 60 characters.
    static func visible(_ field: String) -> String {
        var shown = ""
        for (index, scalar) in field.unicodeScalars.enumerated() {
            if index == 60 { shown += "…"; break }
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned:
                shown += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            case .spaceSeparator where scalar != " ":
                shown += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default:
                shown.unicodeScalars.append(scalar)
            }
        }
        return shown
    }
}

/// A dense table of numbers read from delimited text.
///
/// The text is UTF-8, optionally starting with a byte-order mark. Lines end with LF, CRLF or CR,
/// mixed freely; lines that are empty or hold only spaces and tabs are skipped. Fields are split
/// by the separator and stripped of surrounding spaces and tabs. A field must be a decimal number
/// — an optional sign, digits with an optional decimal point, an optional exponent (`-1.5e-3`,
/// `.5`, `7.`) — or `nan`, `inf`, `infinity` in any case with an optional sign. A decimal that
/// overflows Float32 is refused (`DataError.outOfRange`) rather than read as ∞; one below the
/// smallest subnormal reads as ±0, the nearest Float32.
public struct NumericTable: Sendable {
    /// The values, one row per line, as an rows×columns matrix.
    public let values: Tensor

    /// Parses `text`: one row per non-empty line, fields split by `separator` (nil: any run of
    /// spaces or tabs), `skippingLines` header lines ignored. Every field must be a number and
    /// every row as long as the first.
    ///
    /// - Throws: `DataError` naming the line (counted from 1, every line end counting once) and
    ///   the column of the first bad field, or `.invalid` for a separator that is a line end,
    ///   a space or tab (use nil), a character of a number, or more than one Unicode scalar.
    public init(parsing text: String, separator: Character? = ",", skippingLines: Int = 0) throws {
        var text = text
        let parsed = try text.withUTF8 { try CSVParser(separator: separator, skippingLines: skippingLines).parse($0) }
        values = parsed
    }

    /// Reads and parses the file at `url` (see `init(parsing:separator:skippingLines:)`); a gzip
    /// file (magic number 1f 8b, whatever its name) is inflated first. Bytes that are not UTF-8
    /// can only be part of a field, which then is not a number.
    public init(contentsOf url: URL, separator: Character? = ",", skippingLines: Int = 0) throws {
        let bytes = try NumericTable.bytes(contentsOf: url)
        let parser = try CSVParser(separator: separator, skippingLines: skippingLines)
        values = try bytes.withUnsafeBufferPointer { try parser.parse($0) }
    }
}

/// The byte-level reader behind `NumericTable`.
struct CSVParser {
    /// The separator's UTF-8 bytes, or nil for runs of spaces and tabs.
    let separator: [UInt8]?
    let skippingLines: Int
    /// Whether a tab is a blank to strip (not when it is the separator).
    let tabIsBlank: Bool

    static let space: UInt8 = 0x20, tab: UInt8 = 0x09, lineFeed: UInt8 = 0x0A, carriageReturn: UInt8 = 0x0D
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    init(separator: Character?, skippingLines: Int) throws {
        guard skippingLines >= 0 else { throw DataError.invalid("skippingLines must be ≥ 0, got \(skippingLines)") }
        self.skippingLines = skippingLines
        tabIsBlank = separator != "\t"
        guard let separator else {
            self.separator = nil
            return
        }
        let scalars = separator.unicodeScalars
        guard scalars.count == 1, let scalar = scalars.first, scalar == "\t" || !scalar.properties.isWhitespace,
              !(scalar.isASCII && (("0"..."9").contains(scalar) || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar))),
              !"+-.".unicodeScalars.contains(scalar) else {
            throw DataError.invalid("separator '\(DataError.visible(String(separator)))' cannot split fields: it must be a single character that is not a line end, a space (pass nil for runs of spaces and tabs), a letter, a digit, a sign or a point")
        }
        self.separator = Array(String(separator).utf8)
    }

    /// Spaces and tabs around fields and lines are ignored; with a tab separator, only spaces.
    func isBlank(_ byte: UInt8) -> Bool { byte == Self.space || (byte == Self.tab && tabIsBlank) }

    /// The rows×columns tensor of the table in `bytes`.
    func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws -> Tensor {
        var start = 0
        let n = bytes.count
        if n >= 3 && bytes.prefix(3).elementsEqual(Self.byteOrderMark) { start = 3 }
        var scalars: [Float] = []
        var width = -1, rows = 0, lineNumber = 0
        while start < n || (start == n && lineNumber == 0) {
            var end = start
            while end < n && bytes[end] != Self.lineFeed && bytes[end] != Self.carriageReturn { end += 1 }
            lineNumber += 1
            let next = end < n && bytes[end] == Self.carriageReturn && end + 1 < n && bytes[end + 1] == Self.lineFeed ? end + 2 : end + 1
            defer { start = next }
            if lineNumber <= skippingLines { continue }
            var lower = start, upper = end
            while lower < upper && isBlank(bytes[lower]) { lower += 1 }
            while upper > lower && isBlank(bytes[upper - 1]) { upper -= 1 }
            if lower == upper { continue }
            let fields = split(bytes, lower..<upper)
            if width < 0 { width = fields.count }
            guard fields.count == width else { throw DataError.raggedRow(line: lineNumber, expected: width, found: fields.count) }
            for (index, field) in fields.enumerated() {
                scalars.append(try Self.number(bytes, field, line: lineNumber, column: index + 1))
            }
            rows += 1
        }
        guard rows > 0 else { throw DataError.empty }
        return Tensor(shape: [rows, width], scalars: scalars)
    }

    /// The fields of the (trimmed, non-empty) line `range`, each without surrounding blanks.
    func split(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> [Range<Int>] {
        var fields: [Range<Int>] = []
        guard let separator else {
            var i = range.lowerBound
            while i < range.upperBound {
                let fieldStart = i
                while i < range.upperBound && !isBlank(bytes[i]) { i += 1 }
                fields.append(fieldStart..<i)
                while i < range.upperBound && isBlank(bytes[i]) { i += 1 }
            }
            return fields
        }
        var fieldStart = range.lowerBound, i = range.lowerBound
        while i <= range.upperBound - separator.count {
            if bytes[i] == separator[0] && (1..<separator.count).allSatisfy({ bytes[i + $0] == separator[$0] }) {
                fields.append(fieldStart..<i)
                i += separator.count
                fieldStart = i
            } else {
                i += 1
            }
        }
        fields.append(fieldStart..<range.upperBound)
        return fields.map { field in
            var lower = field.lowerBound, upper = field.upperBound
            while lower < upper && isBlank(bytes[lower]) { lower += 1 }
            while upper > lower && isBlank(bytes[upper - 1]) { upper -= 1 }
            return lower..<upper
        }
    }

    /// The value of the field `range`, or the error naming it.
    static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, line: Int, column: Int) throws -> Float {
        let field = UnsafeBufferPointer(rebasing: bytes[range])
        let text = String(decoding: field, as: UTF8.self)
        switch classify(field) {
        case .invalid:
            throw DataError.notANumber(line: line, column: column, field: text)
        case .special:
            return Float(text)! // nan, inf, infinity: Float's own spelling, checked by classify
        case .decimal:
            guard let value = Float(text) else { throw DataError.notANumber(line: line, column: column, field: text) }
            guard value.isFinite else { throw DataError.outOfRange(line: line, column: column, field: text) }
            return value
        }
    }

    enum Kind { case decimal, special, invalid }

    /// sign? (digits ('.' digits?)? | '.' digits) (('e' | 'E') sign? digits)?, or sign? nan/inf/infinity.
    static func classify(_ field: UnsafeBufferPointer<UInt8>) -> Kind {
        var i = 0
        let n = field.count
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        if i < n && (field[i] == 0x2B || field[i] == 0x2D) { i += 1 }
        if i < n && (field[i] | 0x20 == 0x6E || field[i] | 0x20 == 0x69) { // n or i, in either case
            let word = String(decoding: UnsafeBufferPointer(rebasing: field[i...]), as: UTF8.self).lowercased()
            return word == "nan" || word == "inf" || word == "infinity" ? .special : .invalid
        }
        var digits = 0
        while i < n && isDigit(field[i]) { i += 1; digits += 1 }
        if i < n && field[i] == 0x2E {
            i += 1
            while i < n && isDigit(field[i]) { i += 1; digits += 1 }
        }
        guard digits > 0 else { return .invalid }
        if i < n && (field[i] == 0x65 || field[i] == 0x45) {
            i += 1
            if i < n && (field[i] == 0x2B || field[i] == 0x2D) { i += 1 }
            var exponentDigits = 0
            while i < n && isDigit(field[i]) { i += 1; exponentDigits += 1 }
            guard exponentDigits > 0 else { return .invalid }
        }
        return i == n ? .decimal : .invalid
    }
}
