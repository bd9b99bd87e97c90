import Foundation
import Testing
@testable import NoisyOptim
@testable import NoisyOptimCLI

/// `--optimizer adamax`: the factory builds PyTorch's defaults, and a run goes through.
@Suite struct AdamaxCommandTests {
    @Test func factoryBuildsAdamaxWithItsDefaults() throws {
        let settings = OptimizerSettings(name: .adamax)
        #expect(settings.learningRate == 2e-3)
        let built = try makeOptimizer(settings, layout: .flat(count: 3), exampleCount: 100)
        let adamax = try #require(built.optimizer as? Adamax)
        #expect(adamax.learningRate.value(at: 0) == 2e-3)
        let scaling = adamax.transform.first.first.first.second.second
        #expect(scaling.beta1 == 0.9 && scaling.beta2 == 0.999 && scaling.epsilon == 1e-8)
    }

    @Test func aRunWithAdamaxFinishes() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("two.csv")
        try twoFeatureCSV().write(to: data, atomically: true, encoding: .utf8)
        let run = runTool(["--data", data.path, "--optimizer", "adamax", "--steps", "3", "--batch", "4", "--model", "2-3-2"])
        #expect(run.code == 0, "\(run.errors)")
        #expect(run.output.contains("Adamax"))
    }
}
