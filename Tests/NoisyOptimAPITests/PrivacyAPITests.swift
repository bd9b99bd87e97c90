// What a user can write with `import NoisyOptim` alone: DP-SGD with any rule, and the privacy
// it spends — the README's example, as written.

import NoisyOptim
import Testing

@Suite struct PrivacyAPITests {
    /// The README's DP-SGD example: Adam made private, two steps on an MLP, then ε. Checks that
    /// θ moved, the state counts the steps, and ε grows with the steps and matches the
    /// configuration's own figure.
    @Test func readmeExample() throws {
        let model = MLP(sizes: [4, 6, 3], activation: .tanh)
        let features = Tensor(shape: [50, 4], scalars: PerExampleAPITests.values(200, seed: 9))
        let labels = (0..<50).map { $0 % 3 }
        var theta = model.initialParameters(seed: 1)
        let start = theta
        // README example starts here.
        let privacy = try DifferentialPrivacy(exampleCount: 50, expectedBatchSize: 10,
                                              clippingNorm: 1, noiseMultiplier: 1.1, seed: 7)
        var optimizer = try Adam(layout: model.layout, learningRate: 1e-3).withPrivacy(privacy)
        let objective = model.perExampleObjective(inputs: features, labels: labels)
        for _ in 0..<2 { try optimizer.step(&theta, perExampleObjective: objective) }
        let epsilon = privacy.epsilon(afterSteps: optimizer.stepCount, delta: 1e-5)
        // README example ends here.
        #expect(theta != start)
        #expect(optimizer.stepCount == 2)
        var accountant = PrivacyAccountant()
        accountant.record(privacy, steps: 2)
        #expect(accountant.epsilon(delta: 1e-5) == epsilon)
        #expect(epsilon > privacy.epsilon(afterSteps: 1, delta: 1e-5) && epsilon.isFinite)
        let sigma = try PrivacyAccountant.noiseMultiplier(targetEpsilon: 2, delta: 1e-5, samplingRate: 0.2, steps: 100)
        #expect(PrivacyAccountant.epsilon(noiseMultiplier: sigma, samplingRate: 0.2, steps: 100, delta: 1e-5) <= 2)
    }

    /// The accountant's documented example (10 epochs of batch 256 out of 60 000 at σ = 1.1):
    /// Opacus 1.6 gives ε = 1.098772546153411 at α = 12 and σ = 0.855712890625 for ε = 2; 10⁻⁹
    /// relative (the two agree to ~10⁻¹⁰, see PrivacyAccountantTests).
    @Test func documentedExample() throws {
        var accountant = PrivacyAccountant()
        accountant.record(noiseMultiplier: 1.1, samplingRate: 256.0 / 60_000, steps: 2_344)
        let spent = accountant.spent(delta: 1e-5)
        #expect(abs(spent.epsilon - 1.098772546153411) <= 1e-9 * 1.1 && spent.order == 12)
        let sigma = try PrivacyAccountant.noiseMultiplier(targetEpsilon: 2, delta: 1e-5, samplingRate: 256.0 / 60_000, steps: 2_344)
        #expect(abs(sigma - 0.855712890625) <= 1e-9)
    }
}
