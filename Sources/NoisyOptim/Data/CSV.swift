// CSV: numeric tables from text, with errors that say where a file is malformed.

import Foundation

/// Why a numeric table could not be read.
public enum DataError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read at all.
    case unreadable(path: String, reason: String)
    /// A field is not a number.
    case notANumber(line: Int, column: Int, field: String)
    /// A row has a different number of fields than the first row.
    case raggedRow(line: Int, expected: Int, found: Int)
    /// The table has no rows.
    case empty
    /// The table's contents do not fit what was asked of it (a label column out of range, a
    /// class label that is not a non-negative integer, features and targets of different lengths).
    case invalid(String)

    /// A sentence saying what is wrong and where.
    public var description: String {
        switch self {
        case let .unreadable(path, reason): "cannot read \(path): \(reason)"
        case let .notANumber(line, column, field): "line \(line), column \(column): '\(field)' is not a number"
        case let .raggedRow(line, expected, found): "line \(line) has \(found) fields, expected \(expected) like the first row"
        case .empty: "the table has no rows"
        case let .invalid(message): message
        }
    }
}

/// A dense table of numbers read from delimited text.
public struct NumericTable: Sendable {
    /// The values, one row per line, as an rows×columns matrix.
    public let values: Tensor

    /// Parses `text`: one row per non-empty line, fields split by `separator` (nil: any run of
    /// spaces or tabs), `skippingLines` header lines ignored. Every field must be a number and
    /// every row as long as the first.
    public init(parsing text: String, separator: Character? = ",", skippingLines: Int = 0) throws {
        var scalars: [Float] = []
        var width = -1
        var rows = 0
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            if lineNumber <= skippingLines { continue }
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let fields = separator.map { sep in trimmed.split(separator: sep, omittingEmptySubsequences: false) }
                ?? trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if width < 0 { width = fields.count }
            guard fields.count == width else { throw DataError.raggedRow(line: lineNumber, expected: width, found: fields.count) }
            for (column, field) in fields.enumerated() {
                let text = field.trimmingCharacters(in: .whitespaces)
                guard let value = Float(text) else {
                    throw DataError.notANumber(line: lineNumber, column: column + 1, field: String(text))
                }
                scalars.append(value)
            }
            rows += 1
        }
        guard rows > 0 else { throw DataError.empty }
        values = Tensor(shape: [rows, width], scalars: scalars)
    }

    /// Reads and parses the file at `url` (see `init(parsing:separator:skippingLines:)`); a gzip
    /// file (magic number 1f 8b, whatever its name) is decompressed first.
    public init(contentsOf url: URL, separator: Character? = ",", skippingLines: Int = 0) throws {
        let text = try NumericTable.text(contentsOf: url)
        try self.init(parsing: text, separator: separator, skippingLines: skippingLines)
    }
}
