import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import NoisyOptim
@testable import NoisyOptimCLI

/// Whole runs on tiny data: a .csv.gz table, plot, JSON and CSV outputs, checkpoint and resume.
@Suite struct RunTests {
    /// The SVG parses as XML; returns the number of `path` elements of class "curve".
    static func curveCount(_ url: URL) throws -> Int {
        final class Counter: NSObject, XMLParserDelegate {
            var curves = 0, elements = 0
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
                elements += 1
                if name == "path" && attributes["class"] == "curve" { curves += 1 }
            }
        }
        let parser = XMLParser(data: try Data(contentsOf: url))
        let counter = Counter()
        parser.delegate = counter
        #expect(parser.parse(), "the SVG is not well-formed XML: \(String(describing: parser.parserError))")
        #expect(counter.elements > 20)
        return counter.curves
    }

    @Test func gzipTableWithPlotJSONAndCSV() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("two.csv.gz")
        try Data(storedGzip(Array(twoFeatureCSV().utf8))).write(to: data)
        let plot = directory.appendingPathComponent("curves.svg"), json = directory.appendingPathComponent("run.json")
        let csv = directory.appendingPathComponent("run.csv")
        let run = runTool(["--data", data.path, "--model", "2-4-2", "--optimizer", "all", "--steps", "4", "--batch", "8",
                           "--eval-every", "2", "--plot", plot.path, "--json", json.path, "--csv", csv.path])
        #expect(run.code == 0, "\(run.errors)")
        #expect(run.output.contains("2 classes") && run.output.contains("Anti-PGD"))
        // Three panels (held-out loss, training loss, accuracy), one curve per optimizer in each.
        let optimizers = TrainOptions.comparison.count
        #expect(try Self.curveCount(plot) == 3 * optimizers)
        let report = try JSONDecoder().decode(TrainingReport.self, from: Data(contentsOf: json))
        #expect(report.runs.count == optimizers && report.runs.allSatisfy { $0.curve.map(\.step) == [2, 4] })
        let lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1 + 2 * optimizers + optimizers)
        #expect(lines.filter { $0.hasPrefix("final,") }.count == optimizers)
    }

    @Test func regressionHasNoAccuracyPanel() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("line.csv")
        try (0..<30).map { "\(Double($0) / 10),\(0.5 * Double($0) / 10 + 0.25)" }.joined(separator: "\n")
            .write(to: data, atomically: true, encoding: .utf8)
        let plot = directory.appendingPathComponent("fit.svg")
        let run = runTool(["--data", data.path, "--optimizer", "sgd", "--steps", "3", "--batch", "4", "--model", "1-3-1", "--plot", plot.path])
        #expect(run.code == 0, "\(run.errors)")
        #expect(run.output.contains("regression"))
        #expect(try Self.curveCount(plot) == 2)
    }

    /// 6 steps and a checkpoint, then a resumed run to 12, against 12 straight: the same curves
    /// and final losses, bit for bit, through the command line.
    @Test func resumeThroughTheCommandLine() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("two.csv")
        try twoFeatureCSV().write(to: data, atomically: true, encoding: .utf8)
        let checkpoint = directory.appendingPathComponent("ck.json")
        let common = ["--data", data.path, "--model", "2-5-2", "--optimizer", "noisy-sgd", "--batch", "8", "--eval-every", "3",
                      "--momentum", "0.5"]
        let straightJSON = directory.appendingPathComponent("straight.json"), resumedJSON = directory.appendingPathComponent("resumed.json")
        #expect(runTool(common + ["--steps", "12", "--json", straightJSON.path]).code == 0)
        #expect(runTool(common + ["--steps", "6", "--checkpoint", checkpoint.path, "--checkpoint-every", "3"]).code == 0)
        let resumed = runTool(common + ["--steps", "12", "--resume", checkpoint.path, "--json", resumedJSON.path])
        #expect(resumed.code == 0, "\(resumed.errors)")
        let a = try JSONDecoder().decode(TrainingReport.self, from: Data(contentsOf: straightJSON)).runs[0]
        let b = try JSONDecoder().decode(TrainingReport.self, from: Data(contentsOf: resumedJSON)).runs[0]
        #expect(a.curve == b.curve && a.trainLoss == b.trainLoss && a.testLoss == b.testLoss)

        // Other settings refuse the checkpoint, naming it.
        let other = runTool(common.map { $0 == "0.5" ? "0.6" : $0 } + ["--steps", "12", "--resume", checkpoint.path])
        #expect(other.code == 1 && (other.errors.first ?? "").contains("ck.json"))
        // A checkpoint past the requested steps is a usage error.
        #expect(runTool(common + ["--steps", "3", "--resume", checkpoint.path]).code == 2)
    }
}
