// --optimizer sgld|psgld|sghmc: the samplers through the command line, at T = 1/n on the mean loss.

import Foundation
import Testing
@testable import NoisyOptim
@testable import NoisyOptimCLI

@Suite struct SamplerOptionTests {
    @Test func theFactoryBuildsEachSamplerAtTemperatureOneOverN() throws {
        let layout = ParameterLayout.flat(count: 5)
        let sgld = try makeOptimizer(OptimizerSettings(name: .sgld, learningRate: 0.05), layout: layout, exampleCount: 40)
        let built = try #require(sgld.optimizer as? SGLD)
        // lr is the drift's: ε = 0.1, so the learning-rate link holds ε/2 = 0.05; T = 1/40.
        #expect(built.learningRate.value(at: 0) == 0.05)
        guard case let .langevin(temperature)? = built.parameterNoise?.scale else {
            Issue.record("SGLD without Langevin noise")
            return
        }
        #expect(temperature == 1.0 / 40)
        let psgld = try makeOptimizer(OptimizerSettings(name: .psgld), layout: layout, exampleCount: 40)
        let rule = try #require(psgld.optimizer as? PreconditionedSGLD).rule.second
        #expect(rule.temperature == 1.0 / 40 && rule.alpha == 0.99)
        let sghmc = try makeOptimizer(OptimizerSettings(name: .sghmc), layout: layout, exampleCount: 40)
        #expect(try #require(sghmc.optimizer as? SGHMC).update.temperature == 1.0 / 40)
    }

    @Test(arguments: ["sgld", "psgld", "sghmc"])
    func eachRunsFromTheCommandLine(name: String) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("two.csv")
        try twoFeatureCSV().write(to: data, atomically: true, encoding: .utf8)
        let json = directory.appendingPathComponent("run.json")
        let run = runTool(["--data", data.path, "--model", "2-4-2", "--optimizer", name, "--steps", "6", "--batch", "8",
                           "--eval-every", "3", "--json", json.path])
        #expect(run.code == 0, "\(run.errors)")
        let report = try JSONDecoder().decode(TrainingReport.self, from: Data(contentsOf: json))
        #expect(report.runs.count == 1 && report.runs[0].curve.map(\.step) == [3, 6])
        #expect(report.runs[0].trainLoss.isFinite)
    }
}
