import Foundation
import Testing
@testable import NoisyOptim

/// The training loop shown in the README, run for real on the diabetes data, so the example
/// compiles and does what it says.
@Suite struct TrainingLoopExampleTests {
    @Test func readmeLoopTrainsAndResumes() throws {
        let data = try LeastSquares.diabetes()
        // README example starts here (with `data.objective` standing in for a model's loss).
        var layout = ParameterLayout()
        layout.append("linear.weight", shape: [10], role: .weight)
        layout.append("linear.bias", shape: [1], role: .bias)
        var theta = Tensor.zeros([layout.count])

        var optimizer = try SGD(layout: layout, learningRate: .warmup(steps: 20, then: .cosine(initial: 0.3, totalSteps: 400)),
                                momentum: 0.9, weightDecay: 1e-4, weightDecayFilter: .excludingBiases)
            .withSampling(FullBatch(exampleCount: data.rows), seed: 0)
            .withClipping(.globalNorm(1_000))
            .withGradientNoise(GradientNoise(eta: 0.3, seed: 42))
        var losses: [Float] = []
        for _ in 0..<420 {
            let report = try optimizer.step(&theta) { point, weights in
                data.objective(point, weights) // Σᵢ Wᵢ ℓᵢ(point) and its flat gradient
            }
            losses.append(report.loss!)
        }
        let checkpoint = try JSONEncoder().encode(optimizer.state)
        try optimizer.restore(try JSONDecoder().decode(SGD.State.self, from: checkpoint))
        // README example ends here.

        // The loss of the least-squares fit at w* is about 1,430 (half the mean squared residual);
        // weight decay 10⁻⁴ moves the optimum by far less than 1%.
        let best = data.full.loss(at: data.full.minimizer.map(Float.init))
        let optimum = Double(best) + data.targets.reduce(0) { $0 + $1 * $1 } / Double(2 * data.rows)
        #expect(Double(losses.last!) < optimum * 1.01, "final loss \(losses.last!), optimum \(optimum)")
        #expect(losses.last! < losses.first! / 10)
    }
}
