import Foundation
import Testing
@testable import NoisyOptim

/// SGD-HD and Adam-HD (Baydin et al. 2018) against their Algorithm boxes written out in Double.
/// The Float run differs from the Double reference by the rounding of the dot product g·dₜ₋₁ (nine
/// terms in Float, relative error ~10⁻⁷, times β) and of a few operations per element per step;
/// amplified by Adam's division by √v̂, 2·10⁻⁵ relative covers four steps, as in the adaptive tests.
@Suite struct HypergradientTests {
    // The fixed case of the adaptive optimizers' tests: nine parameters, four gradients.
    static let theta0 = AdaptiveOptimizerTests.theta0
    static let gradients = AdaptiveOptimizerTests.gradients

    private static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    /// Runs `optimizer` on `gradients`, comparing θ and the learned α after every step with the
    /// reference; returns the reference's α after each step.
    @discardableResult
    private func expectMatchesReference<R>(_ optimizer: ChainOptimizer<R, Identity>, _ name: String,
                                           gradients: [[Double]] = HypergradientTests.gradients,
                                           learnedRate: (ChainOptimizer<R, Identity>) -> Double,
                                           reference: (inout [Double], [Double], Int) -> Double) throws -> [Double] {
        var optimizer = optimizer
        var theta = Tensor(Self.theta0.map(Float.init)), expected = Self.theta0
        var alphas: [Double] = []
        for (t, g) in gradients.enumerated() {
            try optimizer.step(&theta, gradient: Tensor(g.map(Float.init)))
            let alpha = reference(&expected, g, t)
            alphas.append(alpha)
            expectClose(theta.scalars, expected.map(Float.init), absoluteTolerance: 1e-7, relativeTolerance: 2e-5,
                        "\(name), step \(t)")
            expectClose(learnedRate(optimizer), alpha, absoluteTolerance: 1e-12, relativeTolerance: 1e-6, "\(name) α, step \(t)")
        }
        return alphas
    }

    @Test(arguments: [(0.1, 0.002), (0.05, 0.0), (0.01, 0.05)])
    func sgdHDMatchesAlgorithm1(alpha0: Double, beta: Double) throws {
        let sgd = try SGDHD(layout: .flat(count: 9), learningRate: alpha0, hypergradientLearningRate: beta)
        var alpha = alpha0, previous = [Double](repeating: 0, count: 9)
        let alphas = try expectMatchesReference(sgd, "SGD-HD α₀ = \(alpha0), β = \(beta)",
                                                learnedRate: { $0.state.rule.learningRate }) { theta, g, _ in
            alpha = max(0, alpha + beta * Self.dot(g, previous))   // αₜ = αₜ₋₁ − β·hₜ, hₜ = −gₜ·gₜ₋₁
            for i in 0..<9 { theta[i] -= alpha * g[i] }
            previous = g
            return alpha
        }
        // Aligned successive gradients (g₁·g₀ ≈ 24 here) must raise α when β > 0: the sign check.
        if beta > 0 { #expect(alphas[1] > alpha0) } else { #expect(alphas.allSatisfy { $0 == alpha0 }) }
    }

    @Test func sgdHDStopsAtZeroAndRecovers() throws {
        // g₁ = −g₀ makes g₁·g₀ = −|g₀|² ≈ −25.5; with β = 0.01, α₀ = 0.1 would fall to −0.155.
        let g0 = Self.gradients[0], g1 = g0.map { -$0 }
        let sequence = [g0, g1, g1, g1]
        let sgd = try SGDHD(layout: .flat(count: 9), learningRate: 0.1, hypergradientLearningRate: 0.01)
        var alpha = 0.1, previous = [Double](repeating: 0, count: 9)
        let alphas = try expectMatchesReference(sgd, "SGD-HD clamped", gradients: sequence,
                                                learnedRate: { $0.state.rule.learningRate }) { theta, g, _ in
            alpha = max(0, alpha + 0.01 * Self.dot(g, previous))
            for i in 0..<9 { theta[i] -= alpha * g[i] }
            previous = g
            return alpha
        }
        #expect(alphas[1] == 0, "the step that overshot pauses at α = 0")
        #expect(alphas[2] > 0, "the paused step still recorded d, so agreeing gradients raise α again")
    }

    @Test(arguments: [(0.9, 0.999, 1e-8, 1e-4), (0.8, 0.5, 1e-6, 1e-3)])
    func adamHDMatchesAlgorithm3(beta1: Double, beta2: Double, epsilon: Double, beta: Double) throws {
        let alpha0 = 0.01
        let adam = try AdamHD(layout: .flat(count: 9), learningRate: alpha0, hypergradientLearningRate: beta,
                              beta1: beta1, beta2: beta2, epsilon: epsilon)
        let (b1, b2) = (Double(Float(beta1)), Double(Float(beta2))) // the bias corrections use β in Float32
        var m = [Double](repeating: 0, count: 9), v = m, previous = m, alpha = alpha0
        let alphas = try expectMatchesReference(adam, "Adam-HD β₂ = \(beta2)", learnedRate: { $0.state.rule.learningRate }) {
            theta, g, t in
            alpha = max(0, alpha + beta * Self.dot(g, previous))    // raw g against m̂ₜ₋₁/(√v̂ₜ₋₁ + ε)
            let c1 = 1 - pow(b1, Double(t + 1)), c2 = 1 - pow(b2, Double(t + 1))
            for i in 0..<9 {
                m[i] = beta1 * m[i] + (1 - beta1) * g[i]
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
                previous[i] = m[i] / c1 / ((v[i] / c2).squareRoot() + epsilon)
                theta[i] -= alpha * previous[i]
            }
            return alpha
        }
        #expect(alphas[1] > alpha0, "successive Adam directions agree with these gradients: α must rise")
    }

    @Test func maximizingIsMinimizingTheNegatedGradient() throws {
        var up = try SGDHD(layout: .flat(count: 9), learningRate: 0.1, hypergradientLearningRate: 0.002).maximizing()
        var down = try SGDHD(layout: .flat(count: 9), learningRate: 0.1, hypergradientLearningRate: 0.002)
        var a = Tensor(Self.theta0.map(Float.init)), b = a
        for g in Self.gradients {
            try up.step(&a, gradient: Tensor(g.map(Float.init)))
            try down.step(&b, gradient: Tensor(g.map { Float(-$0) }))
        }
        #expect(a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern))
        #expect(up.state.rule.learningRate == down.state.rule.learningRate)
    }

    @Test func learnsItsWayOutOfATooSmallLearningRate() throws {
        // κ = 100 in 20 dimensions: L = 100, so 1/L = 10⁻²; start 100× lower, at 10⁻⁴. Plain GD then
        // contracts the λ = 1 direction by 1 − 10⁻⁴ a step: ~9·10⁴ steps to a relative error of 10⁻⁴
        // from 1, far beyond the budget (after 3,000 steps it is still at 0.53); SGD-HD raises α to
        // ~1.6·10⁻² and gets there in 507 steps (seeded problem: the count is deterministic).
        let q = Quadratic.conditioned(100, dimension: 20, seed: 5)
        let start = [Float](repeating: 0, count: 20), budget = 3_000, tolerance = 1e-4
        var plain = try SGD(layout: .flat(count: 20), learningRate: 1e-4)
        var hd = try SGDHD(layout: .flat(count: 20), learningRate: 1e-4, hypergradientLearningRate: 1e-5)
        let (plainSteps, plainFinal) = try stepsToTolerance(&plain, start: start, budget: budget, tolerance: tolerance,
                                                            error: q.relativeError, objective: q.objective)
        let (hdSteps, _) = try stepsToTolerance(&hd, start: start, budget: budget, tolerance: tolerance,
                                                error: q.relativeError, objective: q.objective)
        #expect(plainSteps == nil, "plain SGD at 10⁻⁴ is still at relative error \(q.relativeError(plainFinal))")
        let steps = try #require(hdSteps, "SGD-HD did not reach 10⁻⁴ in \(budget) steps")
        #expect(steps < budget)
        #expect(hd.state.rule.learningRate > 1e-3, "the learned α (\(hd.state.rule.learningRate)) left 10⁻⁴ behind")
    }

    @Test func adamHDLearnsItsWayOutOfATooSmallLearningRate() throws {
        // Adam's steps are ~α per coordinate: from x = 0 to x* (entries up to 1) at α = 10⁻⁴ takes
        // ≥ 10⁴ steps; Adam-HD grows α from the agreement of successive directions (1,442 steps here).
        let q = Quadratic.conditioned(100, dimension: 20, seed: 5)
        let start = [Float](repeating: 0, count: 20), budget = 3_000, tolerance = 1e-3
        var plain = try Adam(layout: .flat(count: 20), learningRate: 1e-4)
        var hd = try AdamHD(layout: .flat(count: 20), learningRate: 1e-4, hypergradientLearningRate: 1e-6)
        let (plainSteps, _) = try stepsToTolerance(&plain, start: start, budget: budget, tolerance: tolerance,
                                                   error: q.relativeError, objective: q.objective)
        let (hdSteps, _) = try stepsToTolerance(&hd, start: start, budget: budget, tolerance: tolerance,
                                                error: q.relativeError, objective: q.objective)
        #expect(plainSteps == nil)
        #expect(hdSteps != nil, "Adam-HD did not reach 10⁻³ in \(budget) steps (α = \(hd.state.rule.learningRate))")
    }

    @Test func resumesBitForBitWithEveryNoiseSite() throws {
        let n = LeastSquares.synthetic().columns, rows = LeastSquares.synthetic().rows
        try expectResumesBitForBit("SGD-HD") {
            try withEveryNoiseSite(SGDHD(layout: .flat(count: n), learningRate: 0.01, hypergradientLearningRate: 1e-3),
                                   exampleCount: rows)
        }
        try expectResumesBitForBit("Adam-HD") {
            try withEveryNoiseSite(AdamHD(layout: .flat(count: n), learningRate: 0.01, hypergradientLearningRate: 1e-4),
                                   exampleCount: rows)
        }
    }

    @Test func invalidValuesAreRefusedByName() throws {
        #expect(throws: OptimizerError.invalidHyperparameter(name: "learningRate", value: -0.1,
                                                             requirement: "0 or a normal Float32 from \(Float.leastNormalMagnitude) to \(Float(Hyperparameter.largest))")) {
            _ = try SGDHD(layout: .flat(count: 1), learningRate: -0.1)
        }
        for bad in [-1e-3, Double.nan, .infinity, 1e-40] {
            #expect(throws: OptimizerError.self, "β = \(bad)") { _ = try SGDHD(layout: .flat(count: 1), hypergradientLearningRate: bad) }
        }
        #expect(throws: OptimizerError.self) { _ = try AdamHD(layout: .flat(count: 1), beta2: 1) }
        #expect(throws: OptimizerError.self) { _ = try AdamHD(layout: .flat(count: 1), epsilon: 0) }

        var sgd = try SGDHD(layout: .flat(count: 4))
        var negative = sgd.state
        negative.rule.learningRate = -1
        #expect(throws: OptimizerError.stateMismatch(part: "hypergradient.learningRate", expected: "a learning rate ≥ 0", found: "-1.0")) {
            try sgd.restore(negative)
        }
        var short = sgd.state
        short.rule.previousDirection = .zeros([3])
        #expect(throws: OptimizerError.stateMismatch(part: "hypergradient.previousDirection", expected: "shape [4]", found: "shape [3]")) {
            try sgd.restore(short)
        }
    }
}
