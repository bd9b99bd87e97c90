import Foundation
import Testing
@testable import NoisyOptim

/// Adamax against PyTorch's update written out in Double, its resume with every noise site, and
/// its typed errors. The Double reference below was checked against `torch.optim.Adamax` in
/// float64 (torch 2.15.0, CPU) on these very cases by Tests/References/make_adamax_reference.py:
/// they agree to 1.4·10⁻¹⁶ relative.
@Suite struct AdamaxTests {
    /// The Float32 run against the Double reference over AdaptiveOptimizerTests' four gradients.
    /// Each step rounds a handful of Float operations (m, |d| + ε, the maximum, m/u, the
    /// correction, θ − lr·d), each within ½ ulp, and m/u does not amplify them (u ≥ |d|); θ itself
    /// is rounded once a step. 4 steps of that stay well inside 2·10⁻⁶ relative (17 Float ulps),
    /// with 10⁻⁸ absolute for the entries that start near 0.
    @Test(arguments: [(0.01, 0.9, 0.999, 1e-8, 0.0), (0.01, 0.8, 0.5, 1e-3, 0.1), (0.002, 0.0, 0.9, 1e-8, 0.0)])
    func adamaxMatchesPyTorch(lr: Double, beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double) throws {
        // β₂ = 0.5 lets u fall below the next |d| + ε, so both sides of the maximum act; ε = 10⁻³
        // wins it outright where a gradient entry is 0; β₁ = 0 makes m the last gradient.
        var adamax = try Adamax(layout: .flat(count: 9), learningRate: lr, beta1: beta1, beta2: beta2, epsilon: epsilon,
                                weightDecay: weightDecay)
        let b1 = Double(Float(beta1)) // the bias correction uses β₁ in Float32, as the kernel does
        var theta = Tensor(AdaptiveOptimizerTests.theta0.map(Float.init)), expected = AdaptiveOptimizerTests.theta0
        var m = [Double](repeating: 0, count: 9), u = m
        for (t, g) in AdaptiveOptimizerTests.gradients.enumerated() {
            try adamax.step(&theta, gradient: Tensor(g.map(Float.init)))
            let correction = 1 - pow(b1, Double(t + 1))
            for i in 0..<9 {
                let d = g[i] + weightDecay * expected[i]
                m[i] = beta1 * m[i] + (1 - beta1) * d
                u[i] = max(beta2 * u[i], abs(d) + epsilon)
                expected[i] -= lr / correction * m[i] / u[i]
            }
            expectClose(theta.scalars, expected.map(Float.init), absoluteTolerance: 1e-8, relativeTolerance: 2e-6,
                        "Adamax β = (\(beta1), \(beta2)), ε = \(epsilon), λ = \(weightDecay), step \(t)")
        }
        // The state holds PyTorch's exp_avg and exp_inf.
        expectClose(adamax.state.rule.second.firstMoment.scalars, m.map(Float.init), absoluteTolerance: 1e-8, relativeTolerance: 2e-6)
        expectClose(adamax.state.rule.second.infinityNorm.scalars, u.map(Float.init), relativeTolerance: 2e-6)
    }

    /// 6 closure steps straight vs 3, a JSON checkpoint into a fresh optimizer, and 3 more, with
    /// sampling, perturbation, clipping, gradient noise and Langevin parameter noise all on.
    @Test func resumesBitForBitWithEveryNoiseSite() throws {
        let p = LeastSquares.synthetic()
        func make() throws -> Adamax {
            try Adamax(layout: .flat(count: p.columns), learningRate: 0.01, weightDecay: 0.01)
                .withSampling(RandomBatch(exampleCount: p.rows, batchSize: 8), seed: 1)
                .withPerturbation(Perturbation(sigma: 0.01, mode: .everyParameter, seed: 2))
                .withClipping(.globalNorm(5))
                .withGradientNoise(GradientNoise(eta: 0.01, seed: 3))
                .withParameterNoise(.langevin(temperature: 1e-4, seed: 4))
        }
        var straight = try make(), x = Tensor.zeros([p.columns])
        for _ in 0..<6 { try straight.step(&x, objective: p.objective) }
        var first = try make(), y = Tensor.zeros([p.columns])
        for _ in 0..<3 { try first.step(&y, objective: p.objective) }
        var resumed = try make()
        try resumed.restore(try JSONDecoder().decode(Adamax.State.self, from: JSONEncoder().encode(first.state)))
        for _ in 0..<3 { try resumed.step(&y, objective: p.objective) }
        #expect(y.scalars.map(\.bitPattern) == x.scalars.map(\.bitPattern))
        #expect(resumed.state == straight.state)
        #expect(x != Tensor.zeros([p.columns]), "the run moved")
    }

    @Test func invalidValuesAreRefusedByName() throws {
        let layout = ParameterLayout.flat(count: 4)
        func refused(_ name: String, _ value: Double, _ make: () throws -> Adamax) {
            do {
                _ = try make()
                Issue.record("\(name) = \(value) was accepted")
            } catch let OptimizerError.invalidHyperparameter(found, foundValue, _) {
                #expect(found == name && foundValue == value, "\(found) = \(foundValue)")
            } catch {
                Issue.record("\(name): \(error)")
            }
        }
        refused("beta1", 1) { try Adamax(layout: layout, beta1: 1) }
        refused("beta2", -0.1) { try Adamax(layout: layout, beta2: -0.1) }
        refused("epsilon", 0) { try Adamax(layout: layout, epsilon: 0) }
        refused("weightDecay", -1) { try Adamax(layout: layout, weightDecay: -1) }
        refused("learningRate", -0.002) { try Adamax(layout: layout, learningRate: -0.002) }
        var adamax = try Adamax(layout: layout)
        var foreign = adamax.state
        foreign.rule.second.infinityNorm = .zeros([3])
        #expect(throws: OptimizerError.stateMismatch(part: "adamax.infinityNorm", expected: "shape [4]", found: "shape [3]")) {
            try adamax.restore(foreign)
        }
    }
}
