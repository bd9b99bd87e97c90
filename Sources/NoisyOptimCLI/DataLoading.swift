// DataLoading: the bundled digits and the user's own table (CSV or .csv.gz) as standardized
// training and test sets, with errors that name the file, line and column.

import Foundation
import NoisyOptim

/// Training and held-out data, features standardized on the training part.
struct PreparedData: Sendable {
    var training: Dataset
    var test: Dataset
    /// One line saying what the data is.
    var summary: String
    /// The number of classes, nil for regression.
    var classCount: Int? { training.classCount }
}

enum DataLoading {
    /// The bundled UCI digits: the demo's fixed 80/20 split (Philox seed 1998), standardized.
    static func digits(resources: URL) throws -> PreparedData {
        let url = resources.appendingPathComponent("digits.csv")
        let table = try readTable(url, path: url.path, separator: ",", skipLines: 0)
        let all: Dataset
        do { all = try Dataset(table: table, classCount: 10) } catch { throw CommandLineError.failure("\(url.path): \(error)") }
        var splitter = Philox4x32(seed: 1998)
        let (training, test) = all.split(trainingFraction: 0.8, using: &splitter)
        return try standardized(training, test, summary: "UCI handwritten digits (8×8), \(training.count) training / \(test.count) test examples")
    }

    /// The user's table: `targetColumn` (negative counts from the end) is the target; with
    /// `classes` nil the target is taken as class labels when every value is an integer in 0..<256
    /// (K = the largest + 1), as a regression target otherwise. Classification data is split with
    /// `stratifiedSplit`, regression data at random, 80/20, both keyed by `seed`.
    static func table(path: String, targetColumn: Int, classes: Int?, skipLines: Int, seed: UInt64) throws -> PreparedData {
        let url = URL(fileURLWithPath: path)
        let table = try readTable(url, path: path, separator: nil, skipLines: skipLines)
        let width = table.values.shape[1]
        let column = targetColumn < 0 ? targetColumn + width : targetColumn
        guard width >= 2, column >= 0, column < width else {
            throw CommandLineError.usage("--target-column: \(targetColumn) is not accepted; expected a column of \(path), 0..<\(width) (or −1 for the last)")
        }
        let rows = table.values.shape[0]
        let targets = (0..<rows).map { table.values.scalars[$0 * width + column] }
        var classCount = classes
        if let classes {
            if let bad = targets.firstIndex(where: { $0 < 0 || $0 >= Float(classes) || $0 != $0.rounded() }) {
                throw CommandLineError.failure("\(path): line \(bad + 1 + skipLines), column \(column + 1): class label \(targets[bad]) is not an integer in 0..<\(classes) (--classes \(classes))")
            }
        } else if targets.allSatisfy({ $0 >= 0 && $0 < 256 && $0 == $0.rounded() }), Set(targets).count >= 2 {
            classCount = Int(targets.max()!) + 1
        }
        let all: Dataset
        do { all = try Dataset(table: table, targetColumn: column, classCount: classCount) } catch {
            throw CommandLineError.failure("\(path): \(error)")
        }
        var splitter = Philox4x32(seed: seed ^ 1998)
        var (training, test) = classCount != nil
            ? all.stratifiedSplit(trainingFraction: 0.8, using: &splitter)
            : all.split(trainingFraction: 0.8, using: &splitter)
        guard training.count >= 1, test.count >= 1 else {
            throw CommandLineError.failure("\(path): \(rows) rows are too few to hold out a test part (80/20 split)")
        }
        var kind = classCount.map { "\($0) classes" } ?? "regression"
        if classCount == nil {
            // Standardized targets, so that the default learning rates suit any scale.
            let mean = training.targets.mean()
            let scale = max(square(training.targets - mean).mean().squareRoot(), 1e-12)
            training = try Dataset(features: training.features, targets: (training.targets - mean) / scale)
            test = try Dataset(features: test.features, targets: (test.targets - mean) / scale)
            kind += " (target standardized: mean \(mean), sd \(scale))"
        }
        let summary = "\(url.lastPathComponent): \(rows) rows × \(width - 1) features, target column \(column), \(kind); \(training.count) training / \(test.count) test"
        return try standardized(training, test, summary: summary)
    }

    static func standardized(_ training: Dataset, _ test: Dataset, summary: String) throws -> PreparedData {
        let standardizer = Standardizer(fitting: training.features)
        return PreparedData(
            training: try Dataset(features: standardizer.apply(training.features), targets: training.targets, classCount: training.classCount),
            test: try Dataset(features: standardizer.apply(test.features), targets: test.targets, classCount: test.classCount),
            summary: summary)
    }

    /// Reads a numeric table (gzip or not); the separator is the file's first separator character
    /// (comma, semicolon or tab) when `separator` is nil, runs of spaces otherwise.
    static func readTable(_ url: URL, path: String, separator: Character?, skipLines: Int) throws -> NumericTable {
        guard FileManager.default.fileExists(atPath: url.path) else { throw CommandLineError.failure("\(path): no such file") }
        do {
            let text = try NumericTable.text(contentsOf: url)
            var chosen = separator
            if chosen == nil {
                let body = text.split(whereSeparator: \.isNewline).dropFirst(skipLines).first { !$0.allSatisfy(\.isWhitespace) } ?? ""
                chosen = [",", ";", "\t"].first { body.contains($0) } ?? nil
            }
            return try NumericTable(parsing: text, separator: chosen, skippingLines: skipLines)
        } catch let error as DataError {
            switch error {
            case let .notANumber(line, column, field):
                let hint = line == skipLines + 1 ? " (a header line? skip it with --skip-lines \(line))" : ""
                throw CommandLineError.failure("\(path): line \(line), column \(column): '\(field)' is not a number\(hint)")
            case let .raggedRow(line, expected, found):
                throw CommandLineError.failure("\(path): line \(line), column \(min(found, expected) + 1): the row has \(found) fields, the first row \(expected)")
            case .unreadable(_, let reason):
                throw CommandLineError.failure("\(path): \(reason)")
            default:
                throw CommandLineError.failure("\(path): \(error)")
            }
        }
    }
}
