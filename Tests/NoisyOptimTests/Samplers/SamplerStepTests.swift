// SGLD, pSGLD and SGHMC step by step: hand-computed updates in Double with the samplers' own
// noise streams, their plain twins at T = 0, the noise's √T scaling, bit-for-bit resume with every
// noise site in front, and the typed errors of every hyperparameter.

import Foundation
import Testing
@testable import NoisyOptim

/// The Float32 runs differ from the Double references by the rounding of a few operations per
/// step (pSGLD's amplified by the division by λ + √V ≥ 2.6·10⁻³ on these values): 2·10⁻⁶ absolute
/// plus 2·10⁻⁵ relative covers four steps.
@Suite struct SamplerStepTests {
    // The fixed case of the adaptive optimizers' tests: nine parameters, four gradients.
    static let theta0 = AdaptiveOptimizerTests.theta0
    static let gradients = AdaptiveOptimizerTests.gradients

    /// z of step t from `stream`, in Double.
    static func normals(seed: UInt64, stream: UInt64, step: Int) -> [Double] {
        var z = [Float](repeating: 0, count: 9)
        z.withUnsafeMutableBufferPointer { NoiseStream(seed: seed, stream: stream).fillNormal($0, step: step, position: 0) }
        return z.map(Double.init)
    }

    private func expectMatchesReference<O: Optimizer>(_ optimizer: O, _ name: String,
                                                      reference: (inout [Double], [Double], Int) -> Void) throws {
        try AdaptiveOptimizerTests.expectMatchesReference(optimizer, name, absoluteTolerance: 2e-6, reference: reference)
    }

    @Test func sgldStepsAsComputedByHand() throws {
        // εₜ = 0.02·(2 + t)^−0.55, T = 0.7, prior λ = 0.1: θ ← θ − (εₜ/2)(g + λθ) + √(εₜT)·z.
        let schedule = Schedule.inversePower(scale: 0.02, offset: 2, exponent: 0.55)
        let sgld = try SGLD(layout: .flat(count: 9), stepSize: schedule, temperature: 0.7, weightDecay: 0.1, seed: 5)
        #expect(sgld.learningRate.value(at: 3) == schedule.value(at: 3) / 2)
        try expectMatchesReference(sgld, "SGLD") { theta, g, t in
            let epsilon = schedule.value(at: t)
            let z = Self.normals(seed: 5, stream: RandomStream.parameterNoise.rawValue, step: t)
            for i in 0..<9 { theta[i] += -epsilon / 2 * (g[i] + 0.1 * theta[i]) + (epsilon * 0.7).squareRoot() * z[i] }
        }
    }

    @Test func preconditionedSGLDStepsAsComputedByHand() throws {
        // ε = 0.01, α = 0.9, λ = 10⁻³, T = 0.5, prior 0.05: d = g + 0.05θ, V ← αV + (1 − α)d²,
        // r = λ + √V, θ ← θ − (ε/2)·d/r − √(εT)·z/√r (the noise is drawn before the learning
        // rate's −lr, hence its sign).
        let psgld = try PreconditionedSGLD(layout: .flat(count: 9), stepSize: 0.01, alpha: 0.9, epsilon: 1e-3,
                                           temperature: 0.5, weightDecay: 0.05, seed: 6)
        var v = [Double](repeating: 0, count: 9)
        try expectMatchesReference(psgld, "pSGLD") { theta, g, t in
            let z = Self.normals(seed: 6, stream: ScaleByPreconditionedLangevin.noiseStream, step: t)
            for i in 0..<9 {
                let d = g[i] + 0.05 * theta[i]
                v[i] = 0.9 * v[i] + 0.1 * d * d
                let r = 1e-3 + v[i].squareRoot()
                theta[i] += -0.005 * d / r - (0.01 * 0.5).squareRoot() * z[i] / r.squareRoot()
            }
        }
    }

    @Test func sghmcStepsAsComputedByHand() throws {
        // η = 0.01, α = 0.3, β̂ = 0.1, T = 2, prior 0.05: v ← (1 − α)v − η(g + 0.05θ) + √(2(α − β̂)ηT)·z, θ ← θ + v.
        let sghmc = try SGHMC(layout: .flat(count: 9), learningRate: 0.01, friction: 0.3, gradientNoiseEstimate: 0.1,
                              temperature: 2, weightDecay: 0.05, seed: 7)
        var v = [Double](repeating: 0, count: 9)
        try expectMatchesReference(sghmc, "SGHMC") { theta, g, t in
            let z = Self.normals(seed: 7, stream: SGHMCVelocity.noiseStream, step: t)
            for i in 0..<9 {
                v[i] = 0.7 * v[i] - 0.01 * (g[i] + 0.05 * theta[i]) + (2 * 0.2 * 0.01 * 2).squareRoot() * z[i]
                theta[i] += v[i]
            }
        }
    }

    @Test func theNoiseScalesWithTheSquareRootOfTheTemperature() throws {
        // Zero gradient from θ = 0, one step: the update is the noise alone, and quadrupling T must
        // double it exactly (√(4x) = 2√x and doubling are exact in binary floating point).
        func noise<O: Optimizer>(_ make: (Double) throws -> O) throws -> ([Float], [Float]) {
            var cold = try make(1), hot = try make(4)
            var a = Tensor.zeros([1_500]), b = Tensor.zeros([1_500])
            try cold.step(&a, gradient: .zeros([1_500]))
            try hot.step(&b, gradient: .zeros([1_500]))
            return (a.scalars, b.scalars)
        }
        let layout = ParameterLayout.flat(count: 1_500)
        for (name, (cold, hot)) in [
            ("SGLD", try noise { try SGLD(layout: layout, stepSize: 0.02, temperature: $0, seed: 1) }),
            ("pSGLD", try noise { try PreconditionedSGLD(layout: layout, stepSize: 0.02, temperature: $0, seed: 1) }),
            ("SGHMC", try noise { try SGHMC(layout: layout, learningRate: 0.02, friction: 0.2, temperature: $0, seed: 1) }),
        ] {
            #expect(cold.contains { $0 != 0 }, "\(name) drew no noise")
            #expect(hot == cold.map { 2 * $0 }, "\(name)")
        }
    }

    // MARK: - Plain twins

    /// Sampling, perturbation, clipping and gradient noise in front of an optimizer.
    static func withSites<R, U>(_ o: ChainOptimizer<R, U>, rows: Int) throws -> ChainOptimizer<R, U> {
        try o.withSampling(SGDSampling(exampleCount: rows, batchSize: 8), seed: 1)
            .withPerturbation(Perturbation(sigma: 0.01, mode: .everyParameter, seed: 2))
            .withClipping(.globalNorm(50))
            .withGradientNoise(GradientNoise(eta: 0.01, seed: 3))
    }

    static func run<O: Optimizer>(_ optimizer: O, steps: Int, objective: Objective, count: Int) throws -> [Float] {
        var optimizer = optimizer, x = Tensor.zeros([count])
        for _ in 0..<steps { try optimizer.step(&x, objective: objective) }
        return x.scalars
    }

    @Test func atZeroTemperatureEachIsItsPlainTwin() throws {
        let p = LeastSquares.synthetic(), n = p.columns, layout = ParameterLayout.flat(count: n)
        let potential = posteriorPotential(exampleCount: p.rows, negativeLogLikelihood: p.objective)
        // SGLD at T = 0 is SGD with lr = ε/2 (the halved schedule written out), bit for bit.
        let sgld = try Self.withSites(SGLD(layout: layout, stepSize: .inversePower(scale: 2e-4, offset: 2, exponent: 0.55),
                                           temperature: 0, weightDecay: 0.1, seed: 4), rows: p.rows)
        let sgd = try Self.withSites(SGD(layout: layout, learningRate: .inversePower(scale: 1e-4, offset: 2, exponent: 0.55),
                                         weightDecay: 0.1), rows: p.rows)
        let a = try Self.run(sgld, steps: 6, objective: potential, count: n)
        #expect(a.map(\.bitPattern) == (try Self.run(sgd, steps: 6, objective: potential, count: n)).map(\.bitPattern))
        #expect(a != (try Self.run(SGLD(layout: layout, stepSize: 2e-4, seed: 4), steps: 1, objective: potential, count: n)))

        // pSGLD at T = 0 is RMSprop with lr = ε/2, α and ε = λ, bit for bit.
        let psgld = try Self.withSites(PreconditionedSGLD(layout: layout, stepSize: 0.02, alpha: 0.9, epsilon: 1e-3,
                                                          temperature: 0, weightDecay: 0.05, seed: 4), rows: p.rows)
        let rmsprop = try Self.withSites(RMSprop(layout: layout, learningRate: 0.01, alpha: 0.9, epsilon: 1e-3,
                                                 weightDecay: 0.05), rows: p.rows)
        #expect((try Self.run(psgld, steps: 6, objective: potential, count: n)).map(\.bitPattern)
                == (try Self.run(rmsprop, steps: 6, objective: potential, count: n)).map(\.bitPattern))

        // SGHMC at T = 0 is heavy-ball SGD with momentum 1 − α: v = −η·b for PyTorch's buffer b,
        // the same update with the product rounded in another order (10⁻⁵ relative over 6 steps).
        let sghmc = try Self.withSites(SGHMC(layout: layout, learningRate: 2e-5, friction: 0.25, temperature: 0, seed: 4),
                                       rows: p.rows)
        let momentum = try Self.withSites(SGD(layout: layout, learningRate: 2e-5, momentum: 0.75), rows: p.rows)
        let x = try Self.run(sghmc, steps: 6, objective: potential, count: n)
        expectClose(x, try Self.run(momentum, steps: 6, objective: potential, count: n),
                    absoluteTolerance: 1e-6, relativeTolerance: 1e-5, "SGHMC at T = 0")
        #expect(x.contains { $0 != 0 })
    }

    // MARK: - Resume

    @Test func eachResumesBitForBitWithEveryNoiseSite() throws {
        // 6 closure steps straight vs 3, a JSON checkpoint into a fresh optimizer, and 3 more.
        let p = LeastSquares.synthetic(), layout = ParameterLayout.flat(count: p.columns)
        let potential = posteriorPotential(exampleCount: p.rows, negativeLogLikelihood: p.objective)
        func resumes<O: Optimizer>(_ make: () throws -> O) throws {
            var straight = try make(), x = Tensor.zeros([p.columns])
            for _ in 0..<6 { try straight.step(&x, objective: potential) }
            var first = try make(), y = Tensor.zeros([p.columns])
            for _ in 0..<3 { try first.step(&y, objective: potential) }
            var resumed = try make()
            try resumed.restore(try JSONDecoder().decode(O.State.self, from: JSONEncoder().encode(first.state)))
            for _ in 0..<3 { try resumed.step(&y, objective: potential) }
            #expect(y.scalars.map(\.bitPattern) == x.scalars.map(\.bitPattern), "\(O.self)")
            #expect(resumed.state == straight.state, "\(O.self)")
        }
        try resumes { try Self.withSites(SGLD(layout: layout, stepSize: .inversePower(scale: 2e-4, offset: 1, exponent: 0.6),
                                              temperature: 0.5, seed: 9), rows: p.rows) }
        try resumes { try Self.withSites(PreconditionedSGLD(layout: layout, stepSize: 1e-3, alpha: 0.9, seed: 9), rows: p.rows) }
        try resumes { try Self.withSites(SGHMC(layout: layout, learningRate: 1e-5, friction: 0.1, gradientNoiseEstimate: 0.05,
                                               seed: 9), rows: p.rows) }
    }

    // MARK: - Errors

    /// `body` must throw `invalidHyperparameter` naming `name` and `value`.
    func expectRefused(_ name: String, _ value: Double, _ body: () throws -> Void,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("\(name) = \(value) was accepted", sourceLocation: sourceLocation)
        } catch let OptimizerError.invalidHyperparameter(found, foundValue, _) {
            #expect(found == name && (foundValue == value || (foundValue.isNaN && value.isNaN)), "refused \(found) = \(foundValue)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func invalidValuesAreRefusedByName() throws {
        let layout = ParameterLayout.flat(count: 4)
        expectRefused("stepSize", -0.1) { _ = try SGLD(layout: layout, stepSize: -0.1, seed: 1) }
        expectRefused("stepSize", -1) { _ = try SGLD(layout: layout, stepSize: .inversePower(scale: -1, offset: 1, exponent: 0.5), seed: 1) }
        expectRefused("temperature", -1) { _ = try SGLD(layout: layout, stepSize: 0.1, temperature: -1, seed: 1) }
        expectRefused("weightDecay", -1) { _ = try SGLD(layout: layout, stepSize: 0.1, weightDecay: -1, seed: 1) }
        expectRefused("stepSize", -0.1) { _ = try PreconditionedSGLD(layout: layout, stepSize: -0.1, seed: 1) }
        expectRefused("alpha", 1) { _ = try PreconditionedSGLD(layout: layout, stepSize: 0.1, alpha: 1, seed: 1) }
        expectRefused("alpha", 1 - 1e-10) { _ = try PreconditionedSGLD(layout: layout, stepSize: 0.1, alpha: 1 - 1e-10, seed: 1) }
        expectRefused("epsilon", 0) { _ = try PreconditionedSGLD(layout: layout, stepSize: 0.1, epsilon: 0, seed: 1) }
        expectRefused("temperature", .nan) { _ = try PreconditionedSGLD(layout: layout, stepSize: 0.1, temperature: .nan, seed: 1) }
        expectRefused("learningRate", -0.1) { _ = try SGHMC(layout: layout, learningRate: -0.1, seed: 1) }
        expectRefused("friction", 0) { _ = try SGHMC(layout: layout, learningRate: 0.1, friction: 0, seed: 1) }
        expectRefused("friction", 1.5) { _ = try SGHMC(layout: layout, learningRate: 0.1, friction: 1.5, seed: 1) }
        expectRefused("gradientNoiseEstimate", 0.2) {
            _ = try SGHMC(layout: layout, learningRate: 0.1, friction: 0.1, gradientNoiseEstimate: 0.2, seed: 1)
        }
        expectRefused("gradientNoiseEstimate", -0.01) {
            _ = try SGHMC(layout: layout, learningRate: 0.1, gradientNoiseEstimate: -0.01, seed: 1)
        }
        expectRefused("temperature", -2) { _ = try SGHMC(layout: layout, learningRate: 0.1, temperature: -2, seed: 1) }
        // β̂ = α and α = 1 are the edges of the domain, and allowed.
        _ = try SGHMC(layout: layout, learningRate: 0.1, friction: 1, gradientNoiseEstimate: 1, seed: 1)

        // A state for other parameters is refused with both sides named, the optimizer unchanged.
        var psgld = try PreconditionedSGLD(layout: layout, stepSize: 0.1, seed: 1)
        var foreign = psgld.state
        foreign.rule.second.squareAverage = .zeros([3])
        #expect(throws: OptimizerError.stateMismatch(part: "psgld.squareAverage", expected: "shape [4]", found: "shape [3]")) {
            try psgld.restore(foreign)
        }
        var sghmc = try SGHMC(layout: layout, learningRate: 0.1, seed: 1)
        var wrong = sghmc.state
        wrong.update.velocity = .zeros([5])
        #expect(throws: OptimizerError.stateMismatch(part: "sghmc.velocity", expected: "shape [4]", found: "shape [5]")) {
            try sghmc.restore(wrong)
        }
        #expect(sghmc.state.update.velocity.shape == [4])
    }

    // MARK: - The potential

    @Test func thePotentialScalesTheBatchToTheWholeData() throws {
        // Ũ_W = N·Σᵢ Wᵢℓᵢ + ‖θ‖²/(2τ²): with a batch of 4 of N = 16 (Wᵢ = 1/4) its gradient is
        // (16/4)·Σ_batch ∇ℓᵢ + θ/τ², summed here in Double; Float rounding of sums of ~10 terms: 10⁻⁵.
        let p = LeastSquares.synthetic(rows: 16, columns: 3), tau2 = 4.0
        let prior: (Tensor) -> (value: Float, gradient: Tensor) = { theta in
            (theta.scalars.reduce(0) { $0 + $1 * $1 } / Float(2 * tau2), theta * Float(1 / tau2))
        }
        let potential = posteriorPotential(exampleCount: 16, negativeLogLikelihood: p.objective, negativeLogPrior: prior)
        let theta: [Float] = [0.3, -0.2, 0.5]
        for batch in [[1, 4, 9, 12], Array(0..<16)] {
            let (u, g) = try potential(Tensor(theta), .batch(batch, exampleCount: 16))
            var expectedU = 0.0, expectedG = [Double](repeating: 0, count: 3)
            for i in batch {
                var r = -p.targets[i]
                for j in 0..<3 { r += p.features[i * 3 + j] * Double(theta[j]) }
                expectedU += 16 / Double(batch.count) * 0.5 * r * r
                for j in 0..<3 { expectedG[j] += 16 / Double(batch.count) * r * p.features[i * 3 + j] }
            }
            for j in 0..<3 {
                expectedU += Double(theta[j] * theta[j]) / (2 * tau2)
                expectedG[j] += Double(theta[j]) / tau2
            }
            expectClose(Double(u), expectedU, relativeTolerance: 1e-5, "Ũ, batch of \(batch.count)")
            expectClose(g.scalars, expectedG.map(Float.init), absoluteTolerance: 1e-5, relativeTolerance: 1e-5,
                        "∇Ũ, batch of \(batch.count)")
        }
    }
}
