import Foundation
import Testing
@testable import NoisyOptim

/// Annealed gradient noise (Neelakantan et al. 2015): the schedule pinned exactly by coupled
/// seeds, the variance checked statistically, and the η = 0 twin checked bit for bit.
@Suite struct GradientNoiseTests {
    /// One step of SGD (lr = 1) from θ = 0 with a zero gradient: θ = −(noise of step t).
    func noise(_ sgd: inout SGD, count: Int) throws -> [Float] {
        var theta = Tensor.zeros([count])
        try sgd.step(&theta, gradient: .zeros([count]))
        return theta.scalars.map { -$0 }
    }

    @Test func coupledSeedsDifferByExactlyTheScheduledScale() throws {
        // Same seed, one run with (η, γ) = (0.3, 0.55), one with unit variance (1, 0): at every step
        // the first is exactly fl(σₜ·z) where z is the second and σₜ = √(0.3/(1+t)^0.55).
        let count = 5000 // three blocks, the last one partial
        var scheduled = try SGD(layout: .flat(count: count), learningRate: 1)
            .withGradientNoise(GradientNoise(eta: 0.3, gamma: 0.55, seed: 99))
        var unit = try SGD(layout: .flat(count: count), learningRate: 1)
            .withGradientNoise(GradientNoise(eta: 1, gamma: 0, seed: 99))
        for t in 0..<6 {
            let sigma = Float((0.3 / pow(Double(1 + t), 0.55)).squareRoot())
            let a = try noise(&scheduled, count: count), z = try noise(&unit, count: count)
            let exact = a == z.map { sigma * $0 }
            #expect(exact, "step \(t): noisy run is not σₜ·z (σₜ = \(sigma))")
            #expect(a != z)
        }
    }

    @Test(arguments: [0, 10, 1000])
    func varianceFollowsTheSchedule(step t: Int) throws {
        // n = 20,000 draws: the sample variance has relative standard deviation √(2/n) = 1%, the
        // mean standard deviation σ/√n; allow 5 of each.
        let count = 20_000, eta = 0.5, gamma = 0.55
        var sgd = try SGD(layout: .flat(count: count), learningRate: 1)
            .withGradientNoise(GradientNoise(eta: .constant(eta), gamma: gamma, seed: 3))
        sgd.state.step = t
        let x = try noise(&sgd, count: count).map(Double.init)
        let mean = x.reduce(0, +) / Double(count)
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count - 1)
        let expected = eta / pow(Double(1 + t), gamma)
        expectClose(variance, expected, relativeTolerance: 5 * (2.0 / Double(count)).squareRoot(), "variance at t = \(t)")
        expectClose(mean, 0, absoluteTolerance: 5 * expected.squareRoot() / Double(count).squareRoot(), "mean at t = \(t)")
    }

    @Test func etaZeroEqualsThePlainTwinBitForBit() throws {
        var random = TestGenerator(seed: 4)
        let count = 3000
        let gradients = (0..<5).map { _ in Tensor(random.floats(count)) }
        let start = Tensor(random.floats(count))
        func run<O: Optimizer>(_ o: inout O) throws -> Tensor {
            var theta = start
            for g in gradients { try o.step(&theta, gradient: g) }
            return theta
        }
        var plain = try SGD(layout: .flat(count: count), learningRate: 0.1, momentum: 0.9).withClipping(.globalNorm(10))
        var noisy = try SGD(layout: .flat(count: count), learningRate: 0.1, momentum: 0.9)
            .withClipping(.globalNorm(10))
            .withGradientNoise(GradientNoise(eta: 0, seed: 1))
        let sameSGD = try run(&plain).scalars.map(\.bitPattern) == run(&noisy).scalars.map(\.bitPattern)
        #expect(sameSGD)
        var plainAdam = try Adam(layout: .flat(count: count))
        var noisyAdam = try Adam(layout: .flat(count: count)).withGradientNoise(GradientNoise(eta: 0, seed: 1))
        let sameAdam = try run(&plainAdam).scalars.map(\.bitPattern) == run(&noisyAdam).scalars.map(\.bitPattern)
        #expect(sameAdam)
    }

    @Test func noiseOfAStepDoesNotDependOnEarlierSteps() throws {
        // η = 0 for the first three steps, then 1: step 3's noise equals that of a run noisy throughout.
        var late = try SGD(layout: .flat(count: 100), learningRate: 1)
            .withGradientNoise(GradientNoise(eta: .custom { $0 < 3 ? 0 : 1 }, gamma: 0, seed: 8))
        var always = try SGD(layout: .flat(count: 100), learningRate: 1)
            .withGradientNoise(GradientNoise(eta: 1, gamma: 0, seed: 8))
        for _ in 0..<3 {
            #expect(try noise(&late, count: 100) == [Float](repeating: 0, count: 100))
            _ = try noise(&always, count: 100)
        }
        #expect(try noise(&late, count: 100) == noise(&always, count: 100))
    }

    /// The noise of `seed` at step 0 for `count` parameters, read off a unit-variance SGD step.
    func unitNoise(seed: UInt64, count: Int) throws -> Tensor {
        var probe = try SGD(layout: .flat(count: count), learningRate: 1)
            .withGradientNoise(GradientNoise(eta: 1, gamma: 0, seed: seed))
        return Tensor(try noise(&probe, count: count))
    }

    @Test func entersAfterClippingAndBeforeMomentumAndAdam() throws {
        // A noisy optimizer on g equals its plain twin fed clip(g) + noise, bit for bit.
        let count = 2100
        var random = TestGenerator(seed: 12)
        let g = Tensor(random.floats(count)) * 10
        let z = try unitNoise(seed: 21, count: count)
        let clipped = minimum(maximum(g, Tensor(scalar: -1)), Tensor(scalar: 1))

        var noisySGD = try SGD(layout: .flat(count: count), learningRate: 0.1, momentum: 0.9)
            .withClipping(.value(1))
            .withGradientNoise(GradientNoise(eta: 1, gamma: 0, seed: 21))
        var plainSGD = try SGD(layout: .flat(count: count), learningRate: 0.1, momentum: 0.9)
        var a = Tensor.zeros([count]), b = Tensor.zeros([count])
        try noisySGD.step(&a, gradient: g)
        try plainSGD.step(&b, gradient: clipped + z)
        #expect(a == b)

        var noisyAdam = try Adam(layout: .flat(count: count))
            .withClipping(.value(1))
            .withGradientNoise(GradientNoise(eta: 1, gamma: 0, seed: 21))
        var plainAdam = try Adam(layout: .flat(count: count))
        a = .zeros([count]); b = .zeros([count])
        try noisyAdam.step(&a, gradient: g)
        try plainAdam.step(&b, gradient: clipped + z)
        #expect(a == b)
    }

    @Test func noiseIsPhiloxNormalsKeyedByPositionBlock() throws {
        // Position i of step t's noise is normal i mod 2048 of the generator keyed by (seed, t, ⌊i/2048⌋),
        // whatever block size the step processes: a definition, pinned against normalFloats.
        let count = 5000, seed: UInt64 = 13
        var sgd = try SGD(layout: .flat(count: count), learningRate: 1)
            .withGradientNoise(GradientNoise(eta: 1, gamma: 0, seed: seed))
        for t in 0..<2 {
            let got = try noise(&sgd, count: count)
            let stepKey = RandomStream.gradientNoise.key(seed: seed, step: t)
            var expected: [Float] = []
            for block in 0..<3 {
                var generator = RandomStream.generator(stepKey: stepKey, block: block)
                expected += generator.normalFloats(count: min(RandomStream.blockSize, count - block * RandomStream.blockSize))
            }
            let exact = got == expected
            #expect(exact, "step \(t)")
        }
    }

    @Test func sameNoiseWhateverTheThreadCount() throws {
        let count = 300_000
        let saved = Parallelism.maximumThreadCount
        defer { Parallelism.maximumThreadCount = saved }
        var results: [Tensor] = []
        for threads in [1, 2] {
            Parallelism.maximumThreadCount = threads
            results.append(try unitNoise(seed: 5, count: count))
        }
        #expect(results[0] == results[1])
    }

    @Test func rejectsNegativeEtaAndGamma() {
        #expect(throws: OptimizerError.invalidHyperparameter(name: "eta", value: -0.01, requirement: "a finite value ≥ 0")) {
            _ = try SGD(layout: .flat(count: 1), learningRate: 0.1)
                .withGradientNoise(GradientNoise(eta: -0.01, seed: 0))
        }
        #expect(throws: OptimizerError.invalidHyperparameter(name: "gamma", value: -1, requirement: "a finite value ≥ 0")) {
            _ = try Adam(layout: .flat(count: 1)).withGradientNoise(GradientNoise(eta: 0.3, gamma: -1, seed: 0))
        }
    }

    @Test func stationaryVarianceOnAQuadraticMatchesTheory() throws {
        // x ← x − lr(Ax − b + σz) with A = diag(λ): each coordinate is an AR(1) process with
        // stationary variance lr·σ²/(λ(2 − lr·λ)). 25 coordinates at λ = 1 and 25 at λ = 4,
        // lr = 0.05, σ² = 1 (η = 1, γ = 0); 4,000 steps after a burn-in of 400.
        // Each coordinate's time average has an effective sample size of about
        // T(1 − ρ)/(1 + ρ) with ρ = 1 − lr·λ (≈ 100 at λ = 1, ≈ 430 at λ = 4), pooled over 25
        // coordinates: relative standard deviation of the pooled variance ≈ √(2/2,500) ≈ 3% at
        // λ = 1. Allow 15%.
        let n = 50, lr = 0.05
        let lambdas = (0..<n).map { $0 < 25 ? 1.0 : 4.0 }
        var sgd = try SGD(layout: .flat(count: n), learningRate: .constant(lr))
            .withGradientNoise(GradientNoise(eta: 1, gamma: 0, seed: 77))
        var x = Tensor.zeros([n]) // b = 0, so x* = 0
        var sums = [Double](repeating: 0, count: n)
        let burnIn = 400, steps = 4000
        for t in 0..<(burnIn + steps) {
            let g = Tensor(x.scalars.enumerated().map { Float(lambdas[$0.offset]) * $0.element })
            try sgd.step(&x, gradient: g)
            if t >= burnIn { for i in 0..<n { sums[i] += Double(x[i]) * Double(x[i]) } }
        }
        for lambda in [1.0, 4.0] {
            let indices = (0..<n).filter { lambdas[$0] == lambda }
            let measured = indices.reduce(0) { $0 + sums[$1] } / Double(indices.count * steps)
            let theory = lr / (lambda * (2 - lr * lambda))
            expectClose(measured, theory, relativeTolerance: 0.15, "stationary variance at λ = \(lambda)")
        }
    }
}
