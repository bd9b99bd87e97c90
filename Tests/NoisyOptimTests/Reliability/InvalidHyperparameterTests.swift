import Foundation
import Testing
import NoisyOptim

/// For every public initializer that takes a hyperparameter, values that are invalid — including
/// those that are fine as Doubles but become 0, 1 or ∞ in Float32, the precision of the kernels —
/// throw a typed error naming the parameter and the exact value passed.
@Suite struct InvalidHyperparameterTests {
    static let layout = ParameterLayout.flat(count: 4)
    static let tiny = 1e-50        // a positive Double that rounds to 0 as a Float
    static let huge = 1e39         // finite as a Double, ∞ as a Float
    static let belowOne = 1 - 1e-10 // < 1 as a Double, exactly 1 as a Float

    typealias Case = (name: String, value: Double, make: @Sendable () throws -> Void)

    static let optimizerCases: [Case] = [
        ("learningRate", huge, { _ = try SGD(layout: layout, learningRate: .constant(huge)) }),
        ("learningRate", 1e32, { _ = try SGD(layout: layout, learningRate: 1e32) }),
        ("learningRate", .infinity, { _ = try SGD(layout: layout, learningRate: .constant(.infinity)) }),
        ("learningRate", tiny, { _ = try SGD(layout: layout, learningRate: .constant(tiny)) }),
        ("learningRate", huge, { _ = try Adam(layout: layout, learningRate: .constant(huge)) }),
        ("learningRate", -0.1, { _ = try SGD(layout: layout, learningRate: .cosine(initial: 0.1, totalSteps: 30_000, final: -0.1)) }),
        ("learningRate", -1e-5, { _ = try SGD(layout: layout, learningRate: .inverseTime(initial: 0.1, rate: -1e-5)) }),
        ("learningRate", -0.5, { _ = try SGD(layout: layout, learningRate: .exponential(initial: 0.1, factor: -0.5)) }),
        ("learningRate", -0.5, { _ = try SGD(layout: layout, learningRate: .step(initial: 0.1, factor: -0.5, every: 10)) }),
        ("learningRate", -0.2, { _ = try SGD(layout: layout, learningRate: .warmup(steps: 5, then: .cosine(initial: 0.1, totalSteps: 9, final: -0.2))) }),
        ("learningRate", huge, { _ = try SGD(layout: layout, learningRate: .warmup(steps: 5, from: huge, then: 0.1)) }),
        ("weightDecay", huge, { _ = try SGD(layout: layout, learningRate: 0.1, weightDecay: huge) }),
        ("weightDecay", tiny, { _ = try SGD(layout: layout, learningRate: 0.1, weightDecay: tiny) }),
        ("weightDecay", huge, { _ = try AdamW(layout: layout, weightDecay: huge) }),
        ("momentum", belowOne, { _ = try SGD(layout: layout, learningRate: 0.1, momentum: belowOne) }),
        ("momentum", tiny, { _ = try SGD(layout: layout, learningRate: 0.1, momentum: tiny) }),
        ("beta1", belowOne, { _ = try Adam(layout: layout, beta1: belowOne) }),
        ("beta2", belowOne, { _ = try Adam(layout: layout, beta2: belowOne) }),
        ("epsilon", 1e-50, { _ = try Adam(layout: layout, epsilon: 1e-50) }),
        ("epsilon", 1e-39, { _ = try Adam(layout: layout, epsilon: 1e-39) }), // a Float32 subnormal
        ("epsilon", huge, { _ = try Adam(layout: layout, epsilon: huge) }),
        ("maxNorm", huge, { _ = try SGD(layout: layout, learningRate: 0.1).withClipping(.globalNorm(huge)) }),
        ("clipValue", tiny, { _ = try SGD(layout: layout, learningRate: 0.1).withClipping(.value(tiny)) }),
        ("eta", 1e300, { _ = try SGD(layout: layout, learningRate: 0.1).withGradientNoise(GradientNoise(eta: 1e300, seed: 1)) }),
        ("eta", -1, { _ = try Adam(layout: layout).withGradientNoise(GradientNoise(eta: .exponential(initial: 0.3, factor: -1), seed: 1)) }),
        ("gamma", -0.55, { _ = try SGD(layout: layout, learningRate: 0.1).withGradientNoise(GradientNoise(eta: 0.3, gamma: -0.55, seed: 1)) }),
        ("gamma", .infinity, { _ = try SGD(layout: layout, learningRate: 0.1).withGradientNoise(GradientNoise(eta: 0.3, gamma: .infinity, seed: 1)) }),
        ("sigma", huge, { _ = try PerturbedGD(layout: layout, learningRate: 0.1, perturbation: Perturbation(sigma: .constant(huge), mode: .everyParameter, seed: 1)) }),
        ("sigma", -0.01, { _ = try PerturbedGD(layout: layout, learningRate: 0.1, perturbation: Perturbation(sigma: .cosine(initial: 0.1, totalSteps: 100, final: -0.01), mode: .everyParameter, seed: 1)) }),
        ("learningRate", huge, { _ = try PerturbedGD(layout: layout, learningRate: .constant(huge), perturbation: Perturbation(sigma: 0.1, mode: .everyParameter, seed: 1)) }),
        ("momentum", belowOne, { _ = try SGD(layout: layout, learningRate: 0.1, momentum: belowOne).withPerturbation(Perturbation(sigma: 0.1, mode: .everyParameter, seed: 1)) }),
        ("learningRate", huge, {
            _ = try MultiplicativeSGD(layout: layout, learningRate: .constant(huge),
                                      sampling: SGDSampling(exampleCount: 4, batchSize: 2), samplingSeed: 1)
        }),
        ("weightDecay", huge, { _ = try AddWeightDecay(huge) }),
        ("momentum", belowOne, { _ = try Momentum(belowOne) }),
        ("beta2", belowOne, { _ = try ScaleByAdam(beta2: belowOne) }),
        ("epsilon", tiny, { _ = try ScaleByAdam(epsilon: tiny) }),
        ("maxNorm", .nan, { _ = try ClipGradient(.globalNorm(.nan)) }),
        ("eta", huge, { _ = try AddGradientNoise(GradientNoise(eta: .constant(huge), seed: 0)) }),
        ("learningRate", huge, { _ = try ChainOptimizer(layout: layout, rule: Identity(), learningRate: .constant(huge)) }),
    ]

    @Test(arguments: optimizerCases.indices)
    func optimizerInitializersNameTheValue(_ index: Int) {
        let c = Self.optimizerCases[index]
        do {
            try c.make()
            Issue.record("\(c.name) = \(c.value) was accepted")
        } catch let OptimizerError.invalidHyperparameter(name, value, requirement) {
            #expect(name == c.name, "case \(index)")
            #expect(value == c.value || (value.isNaN && c.value.isNaN), "case \(index): \(value)")
            #expect(!requirement.isEmpty)
            let description = OptimizerError.invalidHyperparameter(name: name, value: value, requirement: requirement).description
            #expect(description.contains(name) && description.contains("\(value)"))
        } catch {
            Issue.record("case \(index): unexpected error \(error)")
        }
    }

    static let samplingCases: [Case] = [
        ("sigma", 1e200, { _ = try BernoulliSampling(exampleCount: 10, sigma: 1e200) }),
        ("sigma", 1e25, { _ = try BernoulliSampling(exampleCount: 10, sigma: 1e25) }), // (1 + σ²)/n overflows Float32
        ("keepProbability", 1e-45, { _ = try BernoulliSampling(exampleCount: 10, keepProbability: 1e-45) }),
        ("keepProbability", 0, { _ = try BernoulliSampling(exampleCount: 10, keepProbability: 0) }),
        ("exampleCount", 0, { _ = try BernoulliSampling(exampleCount: 0, sigma: 1) }),
        ("sigma", huge, { _ = try GaussianSampling(exampleCount: 10, sigma: huge) }),
        ("sigma", .infinity, { _ = try GaussianSampling(exampleCount: 10, sigma: .infinity, covariance: .diagonal) }),
        ("sigma", -1, { _ = try MiniBatchGaussianSampling(exampleCount: 10, batchSize: 4, sigma: -1) }),
        ("sigma", huge, { _ = try SparseGaussianSampling(exampleCount: 10, support: 4, sigma: huge) }),
        ("batchSize", 11, { _ = try SGDSampling(exampleCount: 10, batchSize: 11) }),
        ("batchSize", 0, { _ = try SGDSampling(exampleCount: 10, batchSize: 0, withReplacement: true) }),
    ]

    @Test(arguments: samplingCases.indices)
    func samplingInitializersNameTheValue(_ index: Int) {
        let c = Self.samplingCases[index]
        do {
            try c.make()
            Issue.record("\(c.name) = \(c.value) was accepted")
        } catch let SamplingError.invalidParameter(name, value, requirement) {
            #expect(name == c.name, "case \(index)")
            #expect(value == c.value, "case \(index): \(value)")
            #expect(!requirement.isEmpty)
        } catch {
            Issue.record("case \(index): unexpected error \(error)")
        }
    }

    /// The edges just inside the Float32 domains are accepted, so the checks are not too strict.
    @Test func valuesJustInsideAreAccepted() throws {
        let largestFloatBelowOne = Double(Float(1).nextDown)
        _ = try SGD(layout: Self.layout, learningRate: 2e31, momentum: largestFloatBelowOne, weightDecay: Double(Float.leastNormalMagnitude))
        _ = try Adam(layout: Self.layout, beta1: largestFloatBelowOne, beta2: 0.999_999, epsilon: Double(Float.leastNormalMagnitude))
        _ = try BernoulliSampling(exampleCount: 10, sigma: 1e18)
        _ = try GaussianSampling(exampleCount: 10, sigma: 1e30)
        _ = try SGD(layout: Self.layout, learningRate: .exponential(initial: 0.1, factor: 1.01)) // growth is checked per step
        // A decay that underflows: 0.1·0.99¹⁰⁰⁰⁰ ≈ 2·10⁻⁴⁵ is a Float32 subnormal, computed, not given.
        _ = try SGD(layout: Self.layout, learningRate: .custom { 0.1 * pow(0.99, Double($0)) })
        _ = try SGD(layout: Self.layout, learningRate: .exponential(initial: 0.1, factor: 0.99))
    }
}

/// A decay rate that is < 1 in Float32 but close to it is used as the kernels round it, so the
/// bias correction matches the average it corrects.
@Suite struct DecayRateRoundingTests {
    /// β = 1 − 3·10⁻⁸ rounds to 1 − 2⁻²⁴ ≈ 1 − 5.96·10⁻⁸: a correction from the Double value would
    /// make m̂ ≈ 1.99·g and the first Adam step ≈ 1.41·lr instead of lr.
    @Test func adamsFirstStepIsTheLearningRate() throws {
        let beta = 1 - 3e-8
        var adam = try Adam(layout: .flat(count: 3), learningRate: 0.1, beta1: beta, beta2: beta, epsilon: 1e-8)
        var theta = Tensor.zeros([3])
        try adam.step(&theta, gradient: Tensor([1, -2, 0.5]))
        // |m̂/(√v̂ + ε)| = 1 up to ε/|g| ≤ 2·10⁻⁸ and the Float32 rounding of the corrections (~10⁻⁷
        // relative, but 1 − βᵗ is computed from a 2⁻²⁴ difference): 10⁻⁴ leaves room for both.
        for (value, sign) in zip(theta.scalars, [-1, 1, -1] as [Float]) {
            #expect(abs(value - sign * 0.1) <= 1e-4 * 0.1, "\(theta.scalars)")
        }
    }
}
