// Reports: a run's curves and final table as JSON or CSV files, written atomically.

import Foundation

/// The JSON document of `--json`: the command, the data, every run with its curve.
struct TrainingReport: Codable {
    var command: String
    var data: String
    var runs: [RunResult]
}

enum Reports {
    static func json<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(value)
    }

    /// Long format, one row per curve point and one per run's final figures:
    /// `kind,optimizer,step,train_loss,test_loss,test_accuracy,ms_per_step`.
    static func csv(_ runs: [RunResult]) -> String {
        func field(_ text: String) -> String {
            text.contains(",") || text.contains("\"") ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        func number(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
        var lines = ["kind,optimizer,step,train_loss,test_loss,test_accuracy,ms_per_step"]
        for run in runs {
            for point in run.curve {
                lines.append(["curve", field(run.name), "\(point.step)", "\(point.trainLoss)", "\(point.testLoss)",
                              number(point.testAccuracy), ""].joined(separator: ","))
            }
        }
        for run in runs {
            lines.append(["final", field(run.name), "\(run.steps)", "\(run.trainLoss)", "\(run.testLoss)", number(run.testAccuracy),
                          String(format: "%.4f", run.millisecondsPerStep)].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `data` to `path` through a temporary file and a rename.
    static func write(_ data: Data, to path: String, option: String) throws {
        let url = URL(fileURLWithPath: path)
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw CommandLineError.failure("\(option) \(path): cannot write: \(error.localizedDescription)")
        }
    }
}
