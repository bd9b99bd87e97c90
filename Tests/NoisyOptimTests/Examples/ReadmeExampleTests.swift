import Foundation
import Testing
@testable import NoisyOptim

/// The README's main example, run as written (fewer steps: debug builds are slow), so it keeps
/// compiling and keeps doing what the README says.
@Suite struct ReadmeExampleTests {
    @Test func digitsExampleTrainsAndCheckpoints() throws {
        let url = BundledData.url("digits.csv")
        // README example starts here.
        let data = try Dataset(table: NumericTable(contentsOf: url), classCount: 10)
        let model = MLP(sizes: [64, 128, 10], activation: .tanh)
        var parameters = model.initialParameters(seed: 7)        // every weight in one flat vector
        let objective = model.objective(on: data)                // (θ, W) ↦ (Σᵢ Wᵢ ℓᵢ(θ), gradient)

        var optimizer = try SGD(layout: model.layout, learningRate: 0.01, momentum: 0.9)
            .withSampling(SGDSampling(exampleCount: data.count, batchSize: 32), seed: 2)
            .withGradientNoise(GradientNoise(eta: 0.01, seed: 1))     // Neelakantan et al. 2015
        for _ in 0..<150 {
            try optimizer.step(&parameters, objective: objective)
        }
        let checkpoint = try JSONEncoder().encode(optimizer.state)   // resume bit for bit later
        // README example ends here.

        let start = try objective(model.initialParameters(seed: 7), .full(exampleCount: data.count)).loss
        let end = try objective(parameters, .full(exampleCount: data.count)).loss
        // 150 steps of batch 32 (≈ 2.7 epochs) on unscaled pixels: the loss falls well below its start.
        #expect(end < start / 2, "loss \(start) → \(end)")
        #expect(try JSONDecoder().decode(SGD.State.self, from: checkpoint) == optimizer.state)
    }
}
