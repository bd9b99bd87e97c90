// The samplers as a user writes them with `import NoisyOptim` alone: Ũ from a per-example loss
// with posteriorPotential, SGLD with a decaying step size on mini-batches, a posterior average
// with burn-in and thinning, and pSGLD's V warmed up through a restored state.

import Foundation
import NoisyOptim
import Testing

@Suite struct SamplerAPITests {
    @Test func aPosteriorMeanFromTheDocumentedPieces() throws {
        // y = 2x + N(0, 0.1²) on 64 points, flat prior, one weight: the posterior mean of w is
        // Σxy/Σx² (≈ 2) and its SD 0.1/√Σx² ≈ 0.022. 3,000 steps of SGLD on batches of 16 after
        // 500 of burn-in, every 5th kept: the mean must be within 0.1 of the exact one (4.5 SDs;
        // the mini-batch noise only adds spread around it).
        let n = 64
        let xs = (0..<n).map { Float($0) / Float(n) - 0.5 }
        var noise = [Float](repeating: 0, count: n)
        noise.withUnsafeMutableBufferPointer { NoiseStream(seed: 5).fillNormal($0, step: 0, position: 0) }
        let ys = zip(xs, noise).map { 2 * $0 + 0.1 * $1 }
        let exact = zip(xs, ys).reduce(0) { $0 + Double($1.0 * $1.1) } / xs.reduce(0) { $0 + Double($1 * $1) }
        let nll: Objective = { point, weights in   // Σᵢ Wᵢ (yᵢ − w xᵢ)²/(2·0.01)
            let w = point.scalars[0]
            var loss: Float = 0, gradient: Float = 0
            for (i, weight) in zip(weights.indices, weights.weights) {
                let r = w * xs[i] - ys[i]
                loss += weight * r * r / 0.02
                gradient += weight * r * xs[i] / 0.01
            }
            return (loss, Tensor([gradient]))
        }
        let potential = posteriorPotential(exampleCount: n, negativeLogLikelihood: nll)
        var sgld = try SGLD(layout: .flat(count: 1), stepSize: .inversePower(scale: 2e-3, offset: 100, exponent: 0.1), seed: 1)
            .withSampling(SGDSampling(exampleCount: n, batchSize: 16), seed: 2)
        var average = try PosteriorAverage(count: 1, burnIn: 500, thinning: 5)
        var theta = Tensor([0])
        for _ in 0..<3_500 {
            try sgld.step(&theta, objective: potential)
            average.record(step: sgld.stepCount, parameters: theta)
        }
        #expect(average.sampleCount == 600)
        #expect(abs(average.mean[0] - exact) < 0.1, "posterior mean \(average.mean[0]) vs \(exact)")
        #expect(average.variance[0] > 0)
    }

    @Test func psgldsPreconditionerCanBeWarmedUp() throws {
        var psgld = try PreconditionedSGLD(layout: .flat(count: 3), stepSize: 1e-3, seed: 3)
        var warm = psgld.state
        warm.rule.second.squareAverage = Tensor([1, 4, 9])
        try psgld.restore(warm)
        var theta = Tensor([0, 0, 0])
        try psgld.step(&theta, gradient: Tensor([0, 0, 0]))
        // V ← 0.99·V + 0.01·0: the warmed values decay rather than starting from 0.
        let v = psgld.state.rule.second.squareAverage.scalars
        #expect(zip(v, [0.99, 3.96, 8.91]).allSatisfy { abs(Double($0) - $1) < 1e-6 } && psgld.stepCount == 1, "\(v)")
    }
}
