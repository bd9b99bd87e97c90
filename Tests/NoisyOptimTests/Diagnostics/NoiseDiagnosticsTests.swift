import Foundation
import Testing
@testable import NoisyOptim

/// The noise figures on a problem whose gradient covariance is known in closed form, the injected
/// figure against the schedule and against the noise a step really adds, and the averages.
@Suite struct NoiseDiagnosticsTests {
    /// Linear regression with Gaussian features: x ~ N(0, I_d), y = xᵀw* + ε with ε ~ N(0, s²)
    /// independent of x, and the half squared error ℓ = ½(xᵀw − y)². At w = w* + δ the gradient of
    /// one example is g = x(xᵀδ − ε), so
    ///
    ///     G = E[g] = E[xxᵀ]δ − E[x]E[ε] = δ
    ///     E[ggᵀ] = E[xxᵀ(xᵀδ)²] + s²·E[xxᵀ] = ‖δ‖²I + 2δδᵀ + s²I     (Isserlis: E[xᵢxⱼxₖxₗ] =
    ///                                                                 δᵢⱼδₖₗ + δᵢₖδⱼₗ + δᵢₗδⱼₖ)
    ///     Σ = E[ggᵀ] − GGᵀ = (‖δ‖² + s²)I + δδᵀ
    ///     tr(Σ) = (d + 1)‖δ‖² + d·s²,   |G|² = ‖δ‖²,   B_simple = tr(Σ)/‖δ‖².
    ///
    /// Here d = 8, δ = (±½, …) so ‖δ‖² = 2, s = ½: tr(Σ) = 20, |G|² = 2, B_simple = 10.
    static let d = 8, b = 65_536, s = 0.5
    static let delta: [Double] = (0..<8).map { $0 % 2 == 0 ? 0.5 : -0.5 }
    static let trace = Double(d + 1) * 2 + Double(d) * s * s, gradientSquared = 2.0

    /// The b × d features, the targets and the per-example objective, and θ = w* + δ.
    static func problem() -> (f: PerExampleObjective, theta: Tensor, layout: ParameterLayout) {
        let x = Tensor.randomNormal([b, d], seed: 11)
        let noise = Tensor.randomNormal([b], standardDeviation: Float(s), seed: 12).scalars
        let wStar: [Double] = (0..<d).map { Double($0) / 4 - 1 }
        let xs = x.scalars
        let y = Tensor(shape: [b, 1], scalars: (0..<b).map { i in
            Float((0..<d).reduce(0.0) { $0 + Double(xs[i * d + $1]) * wStar[$1] } + Double(noise[i]))
        })
        var layout = ParameterLayout()
        let w = layout.append("w", shape: [d, 1])
        let f = perExampleObjective(in: layout) { tape, examples in
            squaredError(predictions: matmul(tape.constant(x).gatheringRows(examples), tape.parameter(w)),
                         targets: tape.constant(y).gatheringRows(examples), convention: .half)
        }
        return (f, Tensor(zip(wStar, delta).map { Float($0 + $1) }), layout)
    }

    /// tr(Σ), |G|² and B_simple from 65 536 draws against the closed form, each within 5 standard
    /// errors of its estimate (a false failure is a 5σ event, < 10⁻⁶ for a normal estimate):
    /// - tr(Σ) ≈ mean ‖gᵢ‖² − ‖ḡ‖², whose error is that of the mean of ‖gᵢ‖², SE = sd(‖gᵢ‖²)/√b,
    ///   with the sd measured on the same rows (about 0.7% of tr(Σ) here);
    /// - |G|² ≈ ‖ḡ‖² − tr(Σ)/b, whose error is 2Gᵀ(ḡ − G) to first order: SE = √(4GᵀΣG/b), with
    ///   GᵀΣG = (‖δ‖² + s²)‖δ‖² + ‖δ‖⁴ = 8.5 (1.1% of |G|²);
    /// - B_simple, whose relative error is at most the sum of the two relative errors.
    /// Float32 rounding of the data (10⁻⁷) is far below these.
    @Test func closedFormCovarianceOfLinearRegression() throws {
        let (f, theta, layout) = Self.problem()
        let (_, gradient, perExample) = try f(theta, .full(exampleCount: Self.b), .squaredNorms)
        #expect(perExample.matrix == nil && perExample.loopSegments.isEmpty, "one pass, no B × P matrix")
        let sgd = try SGD(layout: layout, learningRate: 0.1)
        let noise = sgd.noiseDiagnostics(perExample, gradient: gradient)

        let norms = perExample.squaredNorms.map(Double.init)
        let meanNorm = norms.reduce(0, +) / Double(Self.b)
        let sd = (norms.reduce(0) { $0 + ($1 - meanNorm) * ($1 - meanNorm) } / Double(Self.b - 1)).squareRoot()
        let traceError = sd / Double(Self.b).squareRoot()
        let gSigmaG = (2 + Self.s * Self.s) * 2 + 4
        let gradientError = (4 * gSigmaG / Double(Self.b)).squareRoot()
        expectClose(noise.traceOfCovariance, Self.trace, absoluteTolerance: 5 * traceError, "tr(Σ)")
        expectClose(noise.squaredGradientNorm, Self.gradientSquared, absoluteTolerance: 5 * gradientError, "|G|²")
        let scale = Self.trace / Self.gradientSquared
        expectClose(noise.gradientNoiseScale, scale,
                    relativeTolerance: 5 * (traceError / Self.trace + gradientError / Self.gradientSquared), "B_simple")
        // The mean gradient: sampling noise tr(Σ)/b, and no injected noise on plain SGD.
        #expect(noise.batchSize == Self.b && noise.exampleWeight == 1 / Double(Self.b) && noise.step == 0)
        #expect(noise.samplingNoiseVariance == noise.traceOfCovariance / Double(Self.b))
        #expect(noise.injectedNoiseVariance == 0 && noise.injectedToSamplingRatio == 0)
        // The same estimator as `gradientNoiseEstimates(mean:)` (W = 1/b makes g the mean), bit for bit.
        let (g2, tr) = perExample.gradientNoiseEstimates(mean: gradient)
        #expect(noise.squaredGradientNorm == g2 && noise.traceOfCovariance == tr)
    }

    /// The summed loss (W = 1) has the same Σ and G per example, and a gradient b times the
    /// mean's, so b² times its sampling noise. 10⁻⁵ relative: the two gradients are summed in
    /// Float in different scalings (a few ulps, 10⁻⁷ each), and |G|² subtracts tr(Σ)/b ≈ 1.5·10⁻⁴
    /// of itself, which does not amplify that.
    @Test func aSummedLossGivesTheSameEstimates() throws {
        let (f, theta, layout) = Self.problem()
        let mean = try f(theta, .full(exampleCount: Self.b), .squaredNorms)
        let sum = try f(theta, SampleWeights(exampleCount: Self.b, indices: Array(0..<Self.b),
                                             weights: [Float](repeating: 1, count: Self.b)), .squaredNorms)
        let sgd = try SGD(layout: layout, learningRate: 0.1)
        let a = sgd.noiseDiagnostics(mean.perExample, gradient: mean.gradient)
        let c = sgd.noiseDiagnostics(sum.perExample, gradient: sum.gradient)
        expectClose(c.traceOfCovariance, a.traceOfCovariance, relativeTolerance: 1e-5)
        expectClose(c.squaredGradientNorm, a.squaredGradientNorm, relativeTolerance: 1e-5)
        expectClose(c.samplingNoiseVariance, a.samplingNoiseVariance * Double(Self.b) * Double(Self.b), relativeTolerance: 1e-5)
    }

    /// P·σₜ² against the schedule, exactly (the same Double expression), at the step the optimizer
    /// is about to take; σₜ as the step rounds it squares back to it within Float's rounding
    /// (2.4·10⁻⁷ = 2 ulps of σ). P = 1 to match the small batch below; the factor P is pinned in
    /// `injectedNoiseIsWhatTheStepAdds`.
    @Test func injectedNoiseFollowsTheSchedule() throws {
        let p = 1
        let noise = GradientNoise(eta: .exponential(initial: 2, factor: 0.5), gamma: 0.55, seed: 3)
        var sgd = try SGD(layout: .flat(count: p), learningRate: 0.1).withGradientNoise(noise)
        var theta = Tensor.zeros([p])
        for t in 0..<4 {
            let expected = Double(p) * (2 * pow(0.5, Double(t)) / pow(Double(1 + t), 0.55))
            #expect(sgd.injectedGradientNoiseVariance(atStep: t) == expected, "t = \(t)")
            let sigma = Double(try AddGradientNoise(noise).standardDeviation(at: t))
            expectClose(Double(p) * sigma * sigma, expected, relativeTolerance: 2.4e-7, "σₜ as the step uses it, t = \(t)")
            try sgd.step(&theta, gradient: .zeros([p]))
        }
        #expect(sgd.stepCount == 4)
        // The default step is the next one.
        let rows = try Self.smallBatch()
        #expect(sgd.noiseDiagnostics(rows.perExample, gradient: rows.gradient).step == 4)
        #expect(sgd.noiseDiagnostics(rows.perExample, gradient: rows.gradient).injectedNoiseVariance
                == sgd.injectedGradientNoiseVariance(atStep: 4))
    }

    /// The figure is the noise a step adds: from θ = 0 with g = 0 and lr = 1, plain SGD's step t
    /// leaves θ = −ξₜ, and ‖ξₜ‖² over P = 16 384 parameters is P·σₜ² within 5 standard errors,
    /// σₜ²·√(2P) (‖ξ‖²/σ² is χ² with P degrees of freedom: 5.5% here). t = 3, after three steps.
    @Test func injectedNoiseIsWhatTheStepAdds() throws {
        let p = 16_384
        var sgd = try SGD(layout: .flat(count: p), learningRate: 1).withGradientNoise(GradientNoise(eta: 0.3, seed: 9))
        var theta = Tensor.zeros([p])
        for _ in 0..<3 { try sgd.step(&theta, gradient: .zeros([p])) }
        let expected = sgd.injectedGradientNoiseVariance(atStep: 3)
        theta = .zeros([p])
        try sgd.step(&theta, gradient: .zeros([p]))
        let added = theta.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
        expectClose(added, expected, absoluteTolerance: 5 * expected / Double(p) * Double(2 * p).squareRoot(), "‖ξ₃‖²")
        expectClose(expected, Double(p) * 0.3 / pow(4, 0.55), relativeTolerance: 1e-15)
    }

    /// Averages take the ratio after averaging: steps with |G|² = 1 and 3 and tr(Σ) = 10 give
    /// B_simple = 10/2 = 5, not the mean of the ratios, 6.67. β = ½ weighs the later step twice:
    /// |G|² = (½·1 + 3)/1.5 = 7/3. 10⁻¹⁵ relative: a few Double roundings.
    @Test func averagesDivideAfterAveraging() throws {
        func figures(_ step: Int, _ g2: Double) -> NoiseDiagnostics {
            NoiseDiagnostics(step: step, batchSize: 4, exampleWeight: 0.25, squaredGradientNorm: g2, traceOfCovariance: 10,
                             injectedNoiseVariance: Double(step))
        }
        var mean = NoiseDiagnosticsAverage()
        mean.add(figures(0, 1))
        mean.add(figures(1, 3))
        #expect(mean.count == 2)
        expectClose(mean.gradientNoiseScale, 5, relativeTolerance: 1e-15)
        expectClose(mean.samplingNoiseVariance, 2.5, relativeTolerance: 1e-15)
        expectClose(mean.injectedToSamplingRatio, 0.5 / 2.5, relativeTolerance: 1e-15)
        var decayed = try NoiseDiagnosticsAverage(decay: 0.5)
        decayed.add(figures(0, 1))
        decayed.add(figures(1, 3))
        expectClose(decayed.squaredGradientNorm, 7.0 / 3, relativeTolerance: 1e-15)
        expectClose(decayed.gradientNoiseScale, 30.0 / 7, relativeTolerance: 1e-15)
        expectClose(decayed.injectedNoiseVariance, 1 / 1.5, relativeTolerance: 1e-15)
        #expect(throws: OptimizerError.invalidHyperparameter(name: "decay", value: 1, requirement: "0 ≤ decay < 1")) {
            _ = try NoiseDiagnosticsAverage(decay: 1)
        }
    }

    /// A multiplicative scheme's unequal weights are not a batch: the figures stop, naming both.
    @Test func unequalWeightsStop() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let rows = try NoiseDiagnosticsTests.smallBatch(weights: [0.5, 0.25, 0.25])
            _ = NoiseDiagnostics(rows.perExample, gradient: rows.gradient, step: 0, injectedNoiseVariance: 0)
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("NoiseDiagnostics needs examples of one weight (a mini-batch), got weights 0.5 and 0.25"),
                "\(text.prefix(300))")
    }

    /// Three examples of a 1-parameter least-squares problem.
    static func smallBatch(weights: [Float] = [1 / 3, 1 / 3, 1 / 3]) throws -> (gradient: Tensor, perExample: PerExampleGradients) {
        var layout = ParameterLayout()
        let w = layout.append("w", shape: [1, 1])
        let x = Tensor(shape: [3, 1], scalars: [1, 2, -1]), y = Tensor(shape: [3, 1], scalars: [0.5, 1, 2])
        let f = perExampleObjective(in: layout) { tape, examples in
            squaredError(predictions: matmul(tape.constant(x).gatheringRows(examples), tape.parameter(w)),
                         targets: tape.constant(y).gatheringRows(examples), convention: .half)
        }
        let result = try f(Tensor([0.3]), SampleWeights(exampleCount: 3, indices: [0, 1, 2], weights: weights), .squaredNorms)
        return (result.gradient, result.perExample)
    }
}
