import Foundation
import Testing
@testable import NoisyOptim

/// DP-SGD (`withPrivacy` + `step(_:perExampleObjective:)`) against the algorithm written out over
/// the examples one at a time, and its guarantees: the per-example bound, the noise's law, Poisson
/// sampling's rate, and replay across threads and checkpoints.
@Suite struct DPSGDTests {
    /// A small MLP over N examples, with the ordinary objective for the reference loop.
    struct Problem {
        let model: MLP
        let inputs: Tensor
        let labels: [Int]
        let theta: Tensor

        init(sizes: [Int], examples: Int, seed: UInt64, activation: Activation = .tanh, outlier: Int? = nil) {
            model = MLP(sizes: sizes, activation: activation)
            var generator = TestGenerator(seed: seed)
            var x = generator.floats(examples * sizes[0])
            // One example with huge inputs: its weight gradient is ~10⁴ times the others'.
            if let outlier { for j in 0..<sizes[0] { x[outlier * sizes[0] + j] *= 1e4 } }
            inputs = Tensor(shape: [examples, sizes[0]], scalars: x)
            labels = (0..<examples).map { ($0 * 5 + 1) % sizes[sizes.count - 1] }
            theta = model.initialParameters(seed: seed + 1)
        }

        var perExample: PerExampleObjective { model.perExampleObjective(inputs: inputs, labels: labels) }
        var plain: Objective { model.objective(inputs: inputs, labels: labels) }
    }

    /// The noise z of step t, as the reference draws it: the public keyed stream.
    static func noise(_ privacy: DifferentialPrivacy, step: Int, count: Int) -> [Float] {
        var z = [Float](repeating: 0, count: count)
        z.withUnsafeMutableBufferPointer {
            NoiseStream(seed: privacy.seed, stream: DifferentialPrivacy.noiseStream).fillNormal($0, step: step, position: 0)
        }
        return z
    }

    /// Step t's Poisson batch, drawn as the reference would: each example kept with probability q
    /// by the sampling stream of (seed, t).
    static func batch(_ privacy: DifferentialPrivacy, step: Int) -> [Int] {
        var generator = Philox4x32(seed: RandomStream.sampling.key(seed: privacy.seed, step: step))
        return privacy.sampling.sample(using: &generator).indices
    }

    /// DP-SGD by the definition, in Double: each kept example's gradient alone (W = 1 on it), its
    /// norm, the clip factor, the sum, σC·z, the division by qN; then the same rule, noiseless,
    /// takes that gradient.
    ///
    /// Tolerance: rtol 2·10⁻⁵ with an absolute floor of 10⁻⁶·max|θ|. The library forms
    /// Σᵢ (Wᵢcᵢ)·∇ℓᵢ in Float32 by one GEMM per layer over the batch (a different summation order
    /// from the Double loop, ~10⁻⁶ relative per step) and adds σC/(qN)·z in Float32; three steps
    /// of momentum or Adam carry that forward (Adam divides by √v, so a relative error stays relative).
    @Test(arguments: ["sgd", "momentum", "adam"])
    func matchesTheLoopOverExamples(rule: String) throws {
        let layout = MLP(sizes: [6, 7, 3], activation: .tanh).layout
        switch rule {
        case "sgd": try checkAgainstLoop { try SGD(layout: layout, learningRate: 0.1) }
        case "momentum": try checkAgainstLoop { try SGD(layout: layout, learningRate: 0.1, momentum: 0.9) }
        default: try checkAgainstLoop { try Adam(layout: layout, learningRate: 0.01) }
        }
    }

    private func checkAgainstLoop<R, U>(_ make: () throws -> ChainOptimizer<R, U>,
                                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let problem = Problem(sizes: [6, 7, 3], examples: 40, seed: 11)
        let privacy = try DifferentialPrivacy(exampleCount: 40, samplingRate: 0.2, clippingNorm: 0.3, noiseMultiplier: 1.3, seed: 5)
        var optimizer = try make().withPrivacy(privacy), reference = try make()
        var theta = problem.theta, expected = problem.theta
        let objective = problem.perExample, plain = problem.plain
        let p = problem.model.layout.count
        var clippedSomewhere = false, batchSizes: [Int] = []
        for t in 0..<3 {
            try optimizer.step(&theta, perExampleObjective: objective)
            let kept = DPSGDTests.batch(privacy, step: t)
            batchSizes.append(kept.count)
            var sum = [Double](repeating: 0, count: p)
            for i in kept {
                let g = try plain(expected, SampleWeights(exampleCount: 40, indices: [i], weights: [1])).gradient.scalars
                let norm = g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                let c = min(1, privacy.clippingNorm / norm)
                if c < 1 { clippedSomewhere = true }
                for j in 0..<p { sum[j] += c * Double(g[j]) }
            }
            let z = DPSGDTests.noise(privacy, step: t, count: p)
            let sigmaC = privacy.noiseMultiplier * privacy.clippingNorm
            let noisy = (0..<p).map { Float((sum[$0] + sigmaC * Double(z[$0])) / privacy.expectedBatchSize) }
            try reference.step(&expected, gradient: Tensor(noisy))
            let scale = expected.scalars.map(abs).max()!
            expectClose(theta.scalars, expected.scalars, absoluteTolerance: 1e-6 * scale, relativeTolerance: 2e-5,
                        "\(R.self), step \(t)", sourceLocation: sourceLocation)
        }
        #expect(clippedSomewhere, "C must bind for some example, or clipping is not tested", sourceLocation: sourceLocation)
        #expect(batchSizes.contains { $0 > 0 } && Set(batchSizes).count > 1, "batches \(batchSizes)", sourceLocation: sourceLocation)
    }

    /// The request DP-SGD makes, without the unclipped gradient: the same clipped sum to the bit
    /// (the same GEMMs on the same operands), returned as the gradient too, on a batch where C
    /// binds for some examples and not others.
    @Test func clippedSumWithoutTheGradient() throws {
        let problem = Problem(sizes: [6, 7, 3], examples: 40, seed: 11)
        let f = problem.perExample
        let w = SampleWeights(exampleCount: 40, indices: [3, 9, 1, 30, 22], weights: [0.2, 0.2, 0.2, 0.2, 0.2])
        // C = the median norm: it binds for two examples of five and not for two others.
        let norms = try f(problem.theta, w, .squaredNorms).perExample.squaredNorms.map { $0.squareRoot() }
        let clip = norms.sorted()[2]
        let both = try f(problem.theta, w, .clipped(toNorm: clip))
        let expected = both.perExample.clippedGradient!.scalars, unclipped = both.gradient.scalars
        let only = try f(problem.theta, w, .clipped(toNorm: clip, includesGradient: false))
        #expect(only.perExample.clippedGradient!.scalars == expected)
        #expect(only.gradient.scalars == expected)
        #expect(only.gradient.scalars != unclipped)
        #expect(only.loss == both.loss && only.perExample.squaredNorms == both.perExample.squaredNorms)
    }

    /// An empty Poisson batch still adds the noise: with SGD at lr = 1, θ moves by exactly
    /// −σC/(qN)·z (the clipped sum is 0; one Float32 product and one subtraction per entry).
    @Test func emptyBatchStillAddsNoise() throws {
        let problem = Problem(sizes: [4, 5, 2], examples: 30, seed: 3)
        let privacy = try DifferentialPrivacy(exampleCount: 30, samplingRate: 0.01, clippingNorm: 2, noiseMultiplier: 0.7, seed: 1)
        var sgd = try SGD(layout: problem.model.layout, learningRate: 1).withPrivacy(privacy)
        #expect(sgd.sampleWeights().indices.isEmpty, "seed 1 must give an empty first batch (p = 0.99³⁰ ≈ 0.74)")
        var theta = problem.theta
        let report = try sgd.step(&theta, perExampleObjective: problem.perExample)
        #expect(report.applied && report.loss == 0)
        let z = DPSGDTests.noise(privacy, step: 0, count: theta.count)
        let s = Float(privacy.noiseStandardDeviation)
        expectClose(theta.scalars, zip(problem.theta.scalars, z).map { $0 - s * $1 }, absoluteTolerance: 1e-6)
        #expect(theta.scalars != problem.theta.scalars)
    }

    /// No example moves θ by more than lr·C/(qN) before noise: with σ = 0, an outlier whose raw
    /// gradient is ≫ C changes one SGD step by lr·C/(qN) exactly (its clipped gradient has norm C),
    /// however large it is. Dividing by the drawn batch size instead of qN, or not clipping,
    /// breaks both bounds. Tolerance: 10⁻³ relative, the Float32 rounding of θ's entries (~1)
    /// against a difference of ~10⁻².
    @Test func oneExampleMovesThetaAtMostLrCOverQN() throws {
        let (lr, clip) = (0.5, 0.25)
        let privacy = try DifferentialPrivacy(exampleCount: 24, samplingRate: 0.25, clippingNorm: clip, noiseMultiplier: 0, seed: 4)
        // The outlier is in the first batch, whose size differs from qN = 6.
        let batch = DPSGDTests.batch(privacy, step: 0)
        #expect(!batch.isEmpty && Double(batch.count) != privacy.expectedBatchSize, "batch \(batch)")
        let outlier = batch.first ?? 0
        // ReLU, so that huge inputs give huge gradients (tanh would saturate them to nothing).
        let problem = Problem(sizes: [5, 6, 3], examples: 24, seed: 21, activation: .relu, outlier: outlier)
        let plain = problem.plain
        let raw = try plain(problem.theta, SampleWeights(exampleCount: 24, indices: [outlier], weights: [1])).gradient.scalars
        let rawNorm = raw.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(rawNorm > 100 * clip, "the outlier's gradient norm \(rawNorm) must dwarf C")

        let full = problem.perExample
        let without: PerExampleObjective = { point, w, request in
            let kept = zip(w.indices, w.weights).filter { $0.0 != outlier }
            return try full(point, SampleWeights(exampleCount: w.exampleCount, indices: kept.map(\.0), weights: kept.map(\.1)), request)
        }
        var with = problem.theta, neighbour = problem.theta
        var a = try SGD(layout: problem.model.layout, learningRate: lr).withPrivacy(privacy), b = a
        try a.step(&with, perExampleObjective: full)
        try b.step(&neighbour, perExampleObjective: without)
        let moved = zip(with.scalars, neighbour.scalars).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
        let bound = lr * clip / privacy.expectedBatchSize
        #expect(moved <= bound * (1 + 1e-3), "‖Δθ‖ = \(moved) > lr·C/(qN) = \(bound)")
        #expect(moved >= bound * (1 - 1e-3), "‖Δθ‖ = \(moved): the clipped outlier should move θ by lr·C/(qN) = \(bound)")
    }

    /// The noise's law: with every per-example gradient 0 and SGD at lr = 1, Δθ = −σC/(qN)·z, so
    /// over P ≈ 2.7·10⁵ coordinates the sample mean is within 5·s/√P of 0 and the sample variance
    /// within 5·√(2/P)·s² (≈ 1.4%) of s² = σ²C²/(qN)² (5 standard errors: fails by chance with
    /// probability < 10⁻⁶). Two steps draw different noise.
    @Test func noiseHasTheStatedVariance() throws {
        let layout = ParameterLayout.flat(count: 270_000)
        let privacy = try DifferentialPrivacy(exampleCount: 1000, samplingRate: 0.02, clippingNorm: 3, noiseMultiplier: 1.7, seed: 9)
        let zero: PerExampleObjective = { point, w, request in
            let gradient = Tensor.zeros([point.count])
            let perExample = PerExampleGradients(indices: w.indices, weights: w.weights, losses: w.indices.map { _ in 0 },
                                                 squaredNorms: w.indices.map { _ in 0 }, matrix: nil,
                                                 clippingNorm: request.clippingNorm, clippedGradient: gradient, loopSegments: [])
            return (0, gradient, perExample)
        }
        var sgd = try SGD(layout: layout, learningRate: 1).withPrivacy(privacy)
        var theta = Tensor.zeros([layout.count])
        var previous: [Float] = []
        for _ in 0..<2 {
            let before = theta.scalars
            try sgd.step(&theta, perExampleObjective: zero)
            let delta = zip(theta.scalars, before).map { Double($0 - $1) }
            let n = Double(delta.count), s = privacy.noiseStandardDeviation
            #expect(abs(s - 1.7 * 3 / 20) < 1e-12)
            let mean = delta.reduce(0, +) / n
            let variance = delta.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
            #expect(abs(mean) <= 5 * s / n.squareRoot(), "mean \(mean)")
            #expect(abs(variance / (s * s) - 1) <= 5 * (2 / n).squareRoot(), "variance \(variance), expected \(s * s)")
            let current = delta.map(Float.init)
            let fresh = current != previous // a Bool: on failure Swift Testing would diff 2.7·10⁵ entries
            #expect(fresh)
            previous = current
        }
    }

    /// Poisson sampling: example i is in step t's batch with probability q, independently. Over
    /// T = 300 steps of N = 1000 at q = 0.05: the total count is Binomial(NT, q), checked to 5
    /// standard deviations (√(NTq(1 − q)) ≈ 119); each example's count is Binomial(T, q) (mean 15,
    /// sd 3.8), and none may stray beyond 6 sd (chance < 2·10⁻⁹ per example); batches differ.
    @Test func poissonInclusionFrequencyIsQ() throws {
        let (n, q, steps) = (1000, 0.05, 300)
        let privacy = try DifferentialPrivacy(exampleCount: n, samplingRate: q, clippingNorm: 1, noiseMultiplier: 1, seed: 77)
        var optimizer = try SGD(layout: .flat(count: 1)).withPrivacy(privacy)
        var counts = [Int](repeating: 0, count: n), batches = Set<[Int]>()
        for t in 0..<steps {
            var state = optimizer.state
            state.step = t
            try optimizer.restore(state)
            let w = optimizer.sampleWeights()
            #expect(w.indices == DPSGDTests.batch(privacy, step: t))
            #expect(w.weights.allSatisfy { $0 == Float(1 / (Double(n) * q)) }, "W = 1/(qN)")
            for i in w.indices { counts[i] += 1 }
            batches.insert(w.indices)
        }
        let total = Double(counts.reduce(0, +)), expected = Double(n * steps) * q
        #expect(abs(total - expected) <= 5 * (expected * (1 - q)).squareRoot(), "\(total) inclusions, expected \(expected)")
        let perSD = (Double(steps) * q * (1 - q)).squareRoot()
        let worst = counts.map { abs(Double($0) - Double(steps) * q) }.max()!
        #expect(worst <= 6 * perSD, "an example's count strays \(worst) from \(Double(steps) * q)")
        #expect(batches.count == steps)
    }

    /// Neither the thread count nor a checkpoint changes a run: bit for bit, on a model large
    /// enough (1.4·10⁵ parameters, over `Kernels.parallelThreshold`) that the noise fill and the
    /// chain split over threads.
    @Test func replaysAcrossThreadsAndCheckpoints() throws {
        let problem = Problem(sizes: [256, 512, 16], examples: 64, seed: 8)
        let privacy = try DifferentialPrivacy(exampleCount: 64, expectedBatchSize: 8, clippingNorm: 0.5, noiseMultiplier: 1.1, seed: 3)
        let make = { try Adam(layout: problem.model.layout, learningRate: 1e-3).withPrivacy(privacy)
            .withGradientNoise(GradientNoise(eta: 1e-4, seed: 2)) }
        let objective = problem.perExample
        func run(threads: Int, steps: Int, from start: (Adam, Tensor)? = nil) throws -> (Adam, Tensor) {
            let saved = Parallelism.maximumThreadCount
            defer { Parallelism.maximumThreadCount = saved }
            Parallelism.maximumThreadCount = threads
            var (optimizer, theta) = try start ?? (make(), problem.theta)
            for _ in 0..<steps { try optimizer.step(&theta, perExampleObjective: objective) }
            return (optimizer, theta)
        }
        #expect(problem.model.layout.count > Kernels.parallelThreshold)
        let (straight, theta) = try run(threads: 1, steps: 3)
        let (_, threaded) = try run(threads: 4, steps: 3)
        // Bools, not arrays: on failure Swift Testing would diff 1.4·10⁵ entries (for minutes).
        let sameAcrossThreads = threaded.scalars == theta.scalars
        #expect(sameAcrossThreads, "1 and 4 threads differ")

        let (first, halfway) = try run(threads: 2, steps: 1)
        var resumed = try make()
        try resumed.restore(JSONDecoder().decode(Adam.State.self, from: JSONEncoder().encode(first.state)))
        let (finished, thetaResumed) = try run(threads: 2, steps: 2, from: (resumed, halfway))
        let sameResumed = thetaResumed.scalars == theta.scalars, sameState = finished.state == straight.state
        let moved = theta.scalars != problem.theta.scalars
        #expect(sameResumed, "the resumed run differs")
        #expect(sameState, "the resumed state differs")
        #expect(moved)
    }

    @Test func invalidConfigurationsAreTypedErrors() throws {
        func refused(_ name: String, _ make: () throws -> DifferentialPrivacy, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                _ = try make()
                Issue.record("accepted an invalid \(name)", sourceLocation: sourceLocation)
            } catch let OptimizerError.invalidHyperparameter(found, _, _) {
                #expect(found == name, sourceLocation: sourceLocation)
            } catch {
                Issue.record("\(error)", sourceLocation: sourceLocation)
            }
        }
        for c in [0.0, -1, .nan, .infinity] {
            refused("clippingNorm") { try DifferentialPrivacy(exampleCount: 10, samplingRate: 0.5, clippingNorm: c, noiseMultiplier: 1, seed: 0) }
        }
        for sigma in [-0.1, .nan, .infinity] {
            refused("noiseMultiplier") { try DifferentialPrivacy(exampleCount: 10, samplingRate: 0.5, clippingNorm: 1, noiseMultiplier: sigma, seed: 0) }
        }
        for q in [0.0, -0.5, 1.5, .nan] {
            refused("samplingRate") { try DifferentialPrivacy(exampleCount: 10, samplingRate: q, clippingNorm: 1, noiseMultiplier: 1, seed: 0) }
        }
        refused("exampleCount") { try DifferentialPrivacy(exampleCount: 0, samplingRate: 0.5, clippingNorm: 1, noiseMultiplier: 1, seed: 0) }
        refused("expectedBatchSize") { try DifferentialPrivacy(exampleCount: 10, expectedBatchSize: 11, clippingNorm: 1, noiseMultiplier: 1, seed: 0) }
        #expect(throws: OptimizerError.invalidHyperparameter(name: "samplingRate", value: 1.5,
                                                             requirement: "0 < samplingRate ≤ 1 with 1/(samplingRate·exampleCount) a normal Float32")) {
            _ = try DifferentialPrivacy(exampleCount: 10, samplingRate: 1.5, clippingNorm: 1, noiseMultiplier: 1, seed: 0)
        }
        // q = 1 is allowed (every example, every step).
        _ = try DifferentialPrivacy(exampleCount: 10, samplingRate: 1, clippingNorm: 1, noiseMultiplier: 0, seed: 0)

        // Decoding validates like construction; a valid configuration round-trips.
        let valid = try DifferentialPrivacy(exampleCount: 10, samplingRate: 0.5, clippingNorm: 1, noiseMultiplier: 1, seed: 4)
        #expect(try JSONDecoder().decode(DifferentialPrivacy.self, from: JSONEncoder().encode(valid)) == valid)
        let bad = #"{"exampleCount": 10, "samplingRate": 0.5, "clippingNorm": -2, "noiseMultiplier": 1, "seed": 4}"#
        #expect(throws: OptimizerError.self) { _ = try JSONDecoder().decode(DifferentialPrivacy.self, from: Data(bad.utf8)) }
    }
}
