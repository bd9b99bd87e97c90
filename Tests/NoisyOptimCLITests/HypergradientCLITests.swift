import Foundation
import Testing
@testable import NoisyOptim
@testable import NoisyOptimCLI

/// `--optimizer sgd-hd|adam-hd`: the learned learning rate trains and resumes through a checkpoint.
@Suite struct HypergradientCLITests {
    @Test(arguments: ["sgd-hd", "adam-hd"])
    func trainsAndResumesBitForBit(name: String) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("two.csv")
        try twoFeatureCSV().write(to: data, atomically: true, encoding: .utf8)
        let checkpoint = directory.appendingPathComponent("ck.json")
        let common = ["--data", data.path, "--model", "2-5-2", "--optimizer", name, "--batch", "8", "--eval-every", "3"]
        let straightJSON = directory.appendingPathComponent("straight.json"), resumedJSON = directory.appendingPathComponent("resumed.json")
        let straight = runTool(common + ["--steps", "12", "--json", straightJSON.path])
        #expect(straight.code == 0, "\(straight.errors)")
        #expect(straight.output.contains(OptimizerName(rawValue: name)!.title))
        #expect(runTool(common + ["--steps", "6", "--checkpoint", checkpoint.path, "--checkpoint-every", "3"]).code == 0)
        // The checkpoint carries the learned rate and dₜ₋₁ as the rule's "hypergradient" part.
        #expect(try String(contentsOf: checkpoint, encoding: .utf8).contains("hypergradient"))
        let resumed = runTool(common + ["--steps", "12", "--resume", checkpoint.path, "--json", resumedJSON.path])
        #expect(resumed.code == 0, "\(resumed.errors)")
        let a = try JSONDecoder().decode(TrainingReport.self, from: Data(contentsOf: straightJSON)).runs[0]
        let b = try JSONDecoder().decode(TrainingReport.self, from: Data(contentsOf: resumedJSON)).runs[0]
        #expect(a.curve == b.curve && a.trainLoss == b.trainLoss && a.testLoss == b.testLoss)
    }
}
