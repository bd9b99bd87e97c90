// What a user can write with `import NoisyOptim` alone: the noise figures of each step of a
// training loop of their own, with a one-cycle learning rate and Adamax.

import Foundation
import NoisyOptim
import Testing

@Suite struct NoiseDiagnosticsAPITests {
    /// The README's noise-diagnostics example, as written: per-example squared norms of each
    /// batch, the figures before the step, the step with the same gradient, an average over steps.
    @Test func readmeExample() throws {
        let model = MLP(sizes: [4, 6, 3], activation: .tanh)
        let features = Tensor(shape: [16, 4], scalars: PerExampleAPITests.values(64, seed: 3))
        let labels = (0..<16).map { $0 % 3 }
        var parameters = model.initialParameters(seed: 1)
        // README example starts here.
        let f = model.perExampleObjective(inputs: features, labels: labels)
        var optimizer = try Adamax(layout: model.layout, learningRate: .oneCycle(maximum: 0.01, totalSteps: 4))
            .withGradientNoise(GradientNoise(eta: 0.01, seed: 7))
        var average = NoiseDiagnosticsAverage()
        for t in 0..<4 {
            let batch = SampleWeights.batch(Array(4 * t..<4 * t + 4), exampleCount: 16)
            let (_, gradient, perExample) = try f(parameters, batch, .squaredNorms)  // no B × P matrix
            let noise = optimizer.noiseDiagnostics(perExample, gradient: gradient)  // of the step about to be taken
            average.add(noise)
            try optimizer.step(&parameters, gradient: gradient)
            // noise.gradientNoiseScale: B_simple; noise.injectedToSamplingRatio > 1: the injected noise dominates
        }
        // README example ends here.
        #expect(average.count == 4 && optimizer.stepCount == 4)
        #expect(average.traceOfCovariance > 0 && average.samplingNoiseVariance > 0)
        // P·σₜ² with σₜ² = η/(1 + t)^0.55 at t = 3, the same Double expression.
        let p = Double(model.layout.count)
        #expect(optimizer.injectedGradientNoiseVariance(atStep: 3) == p * (0.01 / pow(4, 0.55)))
    }
}
