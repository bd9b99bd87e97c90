import Foundation
import Testing
@testable import NoisyOptim

/// Records every point and sampling vector an objective is called with; the gradient is that of
/// f(x) = Σ xᵢ², so the step a point leads to is known exactly.
private final class Recorder: @unchecked Sendable {
    var points: [Tensor] = []
    var weights: [SampleWeights] = []
    func objective(_ point: Tensor, _ w: SampleWeights) -> (loss: Float, gradient: Tensor) {
        points.append(point)
        weights.append(w)
        return (point.scalars.reduce(0) { $0 + $1 * $1 }, point * 2)
    }
}

/// The noise sites are options of the one optimizer: each combines with every rule and every
/// other site, and each is pinned against what it is defined to do.
@Suite struct NoiseSiteTests {
    /// Three segments, weights and a bias (L = 3), as in `PerturbedGDTests`.
    static var layout: ParameterLayout { PerturbedGDTests.layout }

    // MARK: - Combinations

    @Test func adamTakesItsGradientAtThePerturbedPoint() throws {
        // Adam with a perturbation equals plain Adam fed the gradient at θ + ξₜ, bit for bit, and
        // that point really is perturbed.
        let layout = Self.layout, recorder = Recorder()
        var perturbed = try Adam(layout: layout, learningRate: 0.01)
            .withPerturbation(Perturbation(sigma: 0.1, mode: .allSegments, seed: 5))
        var plain = try Adam(layout: layout, learningRate: 0.01)
        var random = TestGenerator(seed: 3)
        var a = Tensor(random.floats(layout.count)), b = a
        for t in 0..<4 {
            let point = perturbed.perturbedPoint(a)
            #expect(point != a, "step \(t): the point is not perturbed")
            try perturbed.step(&a, objective: recorder.objective)
            #expect(recorder.points.last! == point, "step \(t): the objective saw another point")
            try plain.step(&b, gradient: point * 2)
            #expect(a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern), "step \(t)")
        }
    }

    @Test func perturbationClippingWeightDecayAndGradientNoiseCompose() throws {
        // One parameter, by hand: θ = 2, ξ₀ = 0.5·z_p, g = 2(θ + ξ₀) clipped by value to ±1, plus
        // σ₀·z_g with σ₀ = √η, plus λθ, times lr. Float against Double of the same formula: 1e-6.
        let (eta, lambda, lr, sigma) = (0.04, 0.1, 0.5, 0.5)
        var sgd = try SGD(layout: .flat(count: 1), learningRate: lr, weightDecay: lambda)
            .withPerturbation(Perturbation(sigma: .constant(sigma), mode: .everyParameter, seed: 11))
            .withClipping(.value(1))
            .withGradientNoise(GradientNoise(eta: .constant(eta), seed: 12))
        var zp: [Float] = [0, 0, 0, 0], zg: [Float] = [0, 0, 0, 0]
        zp.withUnsafeMutableBufferPointer { RandomStream.perturbation.stream(seed: 11).fillNormal($0, step: 0, position: 0) }
        zg.withUnsafeMutableBufferPointer { RandomStream.gradientNoise.stream(seed: 12).fillNormal($0, step: 0, position: 0) }
        var theta = Tensor([2])
        try sgd.step(&theta) { point, _ in (0, point * 2) }
        let g = 2 * (2 + sigma * Double(zp[0]))
        let expected = 2 - lr * (min(max(g, -1), 1) + eta.squareRoot() * Double(zg[0]) + lambda * 2)
        expectClose(Double(theta.scalar), expected, relativeTolerance: 1e-6)

        // The same options on a layout, against the unperturbed twin fed the gradient at θ + ξ.
        let layout = Self.layout
        var full = try SGD(layout: layout, learningRate: 0.05, momentum: 0.9, weightDecay: 0.01, weightDecayFilter: .excludingBiases)
            .withPerturbation(Perturbation(sigma: 0.05, mode: .layerWise, seed: 1))
            .withClipping(.globalNorm(1))
            .withGradientNoise(GradientNoise(eta: 0.01, seed: 2))
        var twin = try SGD(layout: layout, learningRate: 0.05, momentum: 0.9, weightDecay: 0.01, weightDecayFilter: .excludingBiases)
            .withClipping(.globalNorm(1))
            .withGradientNoise(GradientNoise(eta: 0.01, seed: 2))
        var random = TestGenerator(seed: 4)
        var a = Tensor(random.floats(layout.count)), b = a
        for _ in 0..<3 {
            let point = full.perturbedPoint(a)
            try full.step(&a) { p, _ in (0, p * 2) }
            try twin.step(&b, gradient: point * 2)
        }
        #expect(a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern))
    }

    @Test func multiplicativeSamplingComposesWithGradientNoise() throws {
        // MSGD (Bernoulli W) with gradient noise equals the noisy twin fed the gradient for the W
        // the optimizer draws; W changes from step to step.
        let p = LeastSquares.synthetic()
        let scheme = try BernoulliSampling(exampleCount: p.rows, imitatingBatchSize: 8)
        var msgd = try SGD(layout: .flat(count: p.columns), learningRate: 0.01)
            .withSampling(scheme, seed: 3)
            .withGradientNoise(GradientNoise(eta: 0.1, seed: 4))
        var twin = try SGD(layout: .flat(count: p.columns), learningRate: 0.01)
            .withGradientNoise(GradientNoise(eta: 0.1, seed: 4))
        var a = Tensor.zeros([p.columns]), b = a
        var drawn: [SampleWeights] = []
        for _ in 0..<4 {
            let w = msgd.sampleWeights()
            drawn.append(w)
            var seen: SampleWeights?
            try msgd.step(&a) { point, weights in
                seen = weights
                return p.objective(point, weights)
            }
            #expect(seen == w)
            try twin.step(&b, gradient: p.objective(b, w).gradient)
        }
        #expect(a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern))
        #expect(Set(drawn.map(\.indices)).count > 1)
    }

    // MARK: - Orvieto et al. 2023's modes

    @Test(arguments: Perturbation.Mode.allCases)
    func perturbationModesHaveTheAuthorsVariancePerSegment(mode: Perturbation.Mode) throws {
        // Over 60 steps each segment's ξ has variance σ²/L (all), σ² on segment t mod L and exactly 0
        // elsewhere (layer-wise), or σ² (every parameter); L = 3. The smallest sample is 30 entries
        // × 20 active steps = 600 draws: the sample variance's relative standard deviation is
        // √(2/600) ≈ 5.8%; allow 4.5 of them (26%) — the 3,000-entry segment is held to the same.
        let layout = Self.layout, sigma = 0.2, steps = 60
        let segments = layout.segments
        var sgd = try SGD(layout: layout, learningRate: 0)
            .withPerturbation(Perturbation(sigma: .constant(sigma), mode: mode, seed: 9))
        let theta = Tensor.zeros([layout.count])
        var sums = [Double](repeating: 0, count: segments.count), counts = [Int](repeating: 0, count: segments.count)
        var theta2 = theta
        for t in 0..<steps {
            let xi = sgd.perturbedPoint(theta2) - theta2
            for (k, segment) in segments.enumerated() {
                let values = xi.slice(segment).scalars
                let active = mode != .layerWise || k == t % segments.count
                if !active {
                    #expect(values.allSatisfy { $0 == 0 }, "step \(t): segment \(segment.name) is perturbed")
                    continue
                }
                sums[k] += values.reduce(0.0) { $0 + Double($1) * Double($1) }
                counts[k] += values.count
            }
            try sgd.step(&theta2, gradient: .zeros([layout.count]))
        }
        let expected = mode == .allSegments ? sigma * sigma / Double(segments.count) : sigma * sigma
        for (k, segment) in segments.enumerated() {
            let variance = sums[k] / Double(counts[k])
            expectClose(variance, expected, relativeTolerance: 4.5 * (2 / 600.0).squareRoot(), "segment \(segment.name)")
        }
    }

    @Test func perturbedPointDoesNotChangeTheOptimizer() throws {
        let sgd = try PerturbedGD(layout: Self.layout, learningRate: 0.1,
                                  perturbation: Perturbation(sigma: 0.1, mode: .layerWise, seed: 2))
        let theta = Tensor.zeros([Self.layout.count])
        let first = sgd.perturbedPoint(theta), second = sgd.perturbedPoint(theta)
        #expect(first == second && first != theta)
        #expect(sgd.stepCount == 0)
    }

    // MARK: - Parameter noise

    @Test func langevinNoiseHasVarianceTwiceLearningRateTimesTemperature() throws {
        // Zero gradient: θ₁ − θ₀ ~ N(0, 2·lr·T) on each of 20,000 parameters. Relative standard
        // deviation of the sample variance √(2/20000) = 1%; allow 5% (and 0.05 on the mean / σ).
        let n = 20_000, lr = 0.01, temperature = 0.5
        var sgld = try SGD(layout: .flat(count: n), learningRate: lr)
            .withParameterNoise(.langevin(temperature: temperature, seed: 3))
        var theta = Tensor.zeros([n])
        try sgld.step(&theta, gradient: .zeros([n]))
        let values = theta.scalars.map(Double.init)
        let mean = values.reduce(0, +) / Double(n), variance = values.reduce(0) { $0 + $1 * $1 } / Double(n)
        let expected = 2 * lr * temperature
        expectClose(variance, expected, relativeTolerance: 0.05)
        #expect(abs(mean) < 0.05 * expected.squareRoot())
    }

    @Test func parameterNoiseFollowsItsScheduleInParameterUnits() throws {
        // sₜ = σ/(1 + t) regardless of the learning rate (lr = 0 here): step t moves θ by sₜ·z, so
        // the sample standard deviation of step 3's move is σ/4 (10,000 draws: 1.4% → allow 7%).
        let n = 10_000, sigma = 0.4
        var optimizer = try SGD(layout: .flat(count: n), learningRate: 0)
            .withParameterNoise(ParameterNoise(standardDeviation: .inverseTime(initial: sigma, rate: 1), seed: 8))
        var theta = Tensor.zeros([n])
        var before = theta
        for _ in 0...3 {
            before = theta
            try optimizer.step(&theta, gradient: .zeros([n]))
        }
        let moves = (theta - before).scalars.map(Double.init)
        let variance = moves.reduce(0) { $0 + $1 * $1 } / Double(n)
        expectClose(variance.squareRoot(), sigma / 4, relativeTolerance: 0.07)
    }

    @Test func zeroTemperatureIsThePlainTwinBitForBit() throws {
        let q = Quadratic.conditioned(10, dimension: 40)
        let sgld = try SGD(layout: .flat(count: 40), learningRate: 0.05, momentum: 0.5)
            .withParameterNoise(.langevin(temperature: 0, seed: 1))
        let plain = try SGD(layout: .flat(count: 40), learningRate: 0.05, momentum: 0.5)
        try expectSameTrajectory(sgld, plain, objective: q.objective, count: 40, steps: 20)
    }

    @Test func antiPGDMovesTheIterateByTheIncrementsOfXi() throws {
        // lr = 0: θ_K − θ₀ = Σ (ξₜ₊₁ − ξₜ) = ξ_K − ξ₀, with ξ read from perturbed GD's point on the
        // same seed; the walk's spread stays √2·σ instead of growing like √K·σ. Float sums of
        // K = 30 terms of size ~σ: allow 10⁻⁵.
        let layout = Self.layout, steps = 30
        var anti = try PerturbedGD(layout: layout, learningRate: 0,
                                   perturbation: Perturbation(sigma: 0.1, mode: .allSegments, antiCorrelated: true, seed: 4))
        var pgd = try PerturbedGD(layout: layout, learningRate: 0,
                                  perturbation: Perturbation(sigma: 0.1, mode: .allSegments, seed: 4))
        let zero = Tensor.zeros([layout.count])
        let xi0 = pgd.perturbedPoint(zero)
        var theta = zero, parked = zero
        for _ in 0..<steps {
            try anti.step(&theta, gradient: zero)
            try pgd.step(&parked, gradient: zero)
        }
        let xiK = pgd.perturbedPoint(zero)
        expectClose(theta.scalars, (xiK - xi0).scalars, absoluteTolerance: 1e-5)
    }

    // MARK: - The update slot (parameter units)

    @Test func anUpdateTransformSeesTheUpdateInParameterUnits() throws {
        // lr = 2, g = (5, −0.1): Δθ = (−10, 0.2), clamped to ±0.5 → (−0.5, 0.2).
        var optimizer = try ChainOptimizer(layout: .flat(count: 2), rule: Identity(), update: ClampUpdate(limit: 0.5),
                                           learningRate: 2)
        var theta = Tensor([1, 1])
        try optimizer.step(&theta, gradient: Tensor([5, -0.1]))
        expectClose(theta.scalars, [0.5, 1.2], relativeTolerance: 1e-7)
    }

    @Test func learningRateReachesEveryLinkThroughTheContext() throws {
        var optimizer = try ChainOptimizer(layout: .flat(count: 1), rule: Identity(), update: ClampUpdate(limit: 1),
                                           learningRate: .exponential(initial: 0.5, factor: 0.5))
        var theta = Tensor([0])
        for _ in 0..<3 { try optimizer.step(&theta, gradient: Tensor([1])) }
        #expect(theta.scalar == -(0.5 + 0.25 + 0.125))
    }
}

/// Clamps the update Δθ to ±limit: a transform that only makes sense in parameter units.
private struct ClampUpdate: GradientTransform {
    let limit: Float
    static var stateKey: String { "clampUpdate" }
    struct State: Codable, Sendable, Equatable {}
    func makeState(for layout: ParameterLayout) -> State { State() }
    func plan(_ state: inout State, context: StepContext) {}
    func apply(_ plan: Void, to block: UpdateBlock) {
        for i in 0..<block.count { block.direction[i] = min(max(block.direction[i], -limit), limit) }
    }
}
