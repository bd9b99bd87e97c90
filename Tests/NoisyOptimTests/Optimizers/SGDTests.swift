import Foundation
import Testing
@testable import NoisyOptim

/// SGD pinned to PyTorch's update rule by sequences computed by hand (in the comments) and by a
/// scalar twin at awkward sizes.
@Suite struct SGDTests {
    /// Runs `steps` steps of `optimizer` on one parameter with the constant gradient `g` and returns θ after each.
    func trajectory(_ optimizer: inout SGD, from start: Float, gradient g: Float, steps: Int) throws -> [Float] {
        var theta = Tensor([start])
        var out: [Float] = []
        for _ in 0..<steps {
            try optimizer.step(&theta, gradient: Tensor([g]))
            out.append(theta.scalar)
        }
        return out
    }

    // Constant gradient g = 1, θ₀ = 0, lr = 0.1; tolerance: a few Float roundings of numbers ≤ 4.
    static let cases: [(name: String, momentum: Double, dampening: Double, nesterov: Bool, expected: [Float])] = [
        // Plain: θ = −0.1, −0.2, −0.3, −0.4.
        ("plain", 0, 0, false, [-0.1, -0.2, -0.3, -0.4]),
        // v₁ = 1, v₂ = 0.9·1 + 1 = 1.9, v₃ = 0.9·1.9 + 1 = 2.71, v₄ = 3.439;
        // θ = −0.1, −0.29, −0.561, −0.9049.
        ("momentum", 0.9, 0, false, [-0.1, -0.29, -0.561, -0.9049]),
        // v₁ = 1 (the first step ignores dampening), v₂ = 0.9 + 0.5 = 1.4, v₃ = 1.26 + 0.5 = 1.76,
        // v₄ = 1.584 + 0.5 = 2.084; θ = −0.1, −0.24, −0.416, −0.6244.
        ("dampening", 0.9, 0.5, false, [-0.1, -0.24, -0.416, -0.6244]),
        // v as in "momentum"; d = g + μv = 1.9, 2.71, 3.439, 4.0951;
        // θ = −0.19, −0.461, −0.8049, −1.21441.
        ("nesterov", 0.9, 0, true, [-0.19, -0.461, -0.8049, -1.21441]),
    ]

    @Test(arguments: cases.indices)
    func handComputedSequence(_ index: Int) throws {
        let c = Self.cases[index]
        var sgd = try SGD(layout: .flat(count: 1), learningRate: 0.1, momentum: c.momentum, dampening: c.dampening, nesterov: c.nesterov)
        let got = try trajectory(&sgd, from: 0, gradient: 1, steps: 4)
        expectClose(got, c.expected, relativeTolerance: 1e-6, "\(c.name)")
    }

    @Test func coupledWeightDecayOnWeightsOnly() throws {
        // Two segments, a weight and a bias, both θ₀ = 1 and g = 1; λ = 0.1 on weights only, μ = 0.9, lr = 0.1.
        // Weight: d₁ = 1 + 0.1·1 = 1.1, v₁ = 1.1, θ₁ = 0.89;
        //         d₂ = 1 + 0.089 = 1.089, v₂ = 0.99 + 1.089 = 2.079, θ₂ = 0.6821;
        //         d₃ = 1.06821, v₃ = 1.8711 + 1.06821 = 2.93931, θ₃ = 0.388169.
        // Bias (no decay): v = 1, 1.9, 2.71; θ = 0.9, 0.71, 0.439.
        var layout = ParameterLayout()
        layout.append("w", shape: [1], role: .weight)
        layout.append("b", shape: [1], role: .bias)
        var sgd = try SGD(layout: layout, learningRate: 0.1, momentum: 0.9, weightDecay: 0.1, weightDecayFilter: .excludingBiases)
        var theta = Tensor([1, 1])
        var weights: [Float] = [], biases: [Float] = []
        for _ in 0..<3 {
            try sgd.step(&theta, gradient: Tensor([1, 1]))
            weights.append(theta.scalars[0])
            biases.append(theta.scalars[1])
        }
        expectClose(weights, [0.89, 0.6821, 0.388169], relativeTolerance: 1e-6)
        expectClose(biases, [0.9, 0.71, 0.439], relativeTolerance: 1e-6)
    }

    @Test func maximizeNegatesBeforeWeightDecay() throws {
        // PyTorch: d = −g + λθ. θ₀ = 1, g = 1, λ = 0.5, lr = 0.1:
        // d₁ = −1 + 0.5 = −0.5, θ₁ = 1.05; d₂ = −1 + 0.525 = −0.475, θ₂ = 1.0975.
        var sgd = try SGD(layout: .flat(count: 1), learningRate: 0.1, weightDecay: 0.5).maximizing(true)
        let got = try trajectory(&sgd, from: 1, gradient: 1, steps: 2)
        expectClose(got, [1.05, 1.0975], relativeTolerance: 1e-6)
    }

    @Test func learningRateScheduleIsReadAtEachStep() throws {
        // lr = 1, 0.5, 0.25 (exponential, factor ½), g = 1: θ = −1, −1.5, −1.75 exactly.
        var sgd = try SGD(layout: .flat(count: 1), learningRate: .exponential(initial: 1, factor: 0.5))
        #expect(try trajectory(&sgd, from: 0, gradient: 1, steps: 3) == [-1, -1.5, -1.75])
    }

    // MARK: - Against a scalar twin

    /// PyTorch's SGD written one scalar at a time, in the same operation order as the kernels.
    struct ScalarSGD {
        var lr: Float, mu: Float, dampening: Float, lambda: Float, nesterov: Bool, maximize: Bool
        var velocity: [Float]? = nil

        mutating func step(_ theta: inout [Float], _ g: [Float]) {
            var d = g.map { maximize ? -$0 : $0 }
            for i in d.indices { d[i] = d[i] + lambda * theta[i] }
            if mu != 0 {
                if var v = velocity {
                    for i in v.indices { v[i] = mu * v[i] + (1 - dampening) * d[i] }
                    velocity = v
                } else {
                    velocity = d
                }
                let v = velocity!
                for i in d.indices { d[i] = nesterov ? d[i] + mu * v[i] : v[i] }
            }
            for i in theta.indices { theta[i] = theta[i] + (-lr) * d[i] }
        }
    }

    @Test(arguments: [1, 15, 17, 2047, 2049, 5000])
    func matchesScalarTwinBitForBit(count: Int) throws {
        var random = TestGenerator(seed: UInt64(count))
        for (mu, damp, nesterov, lambda, maximize) in [(0.9, 0.1, false, 0.01, false), (0.5, 0.0, true, 0.0, true), (0.0, 0.0, false, 0.1, false)] {
            var sgd = try SGD(layout: .flat(count: count), learningRate: 0.05, momentum: mu, dampening: damp, nesterov: nesterov, weightDecay: lambda)
                .maximizing(maximize)
            var twin = ScalarSGD(lr: 0.05, mu: Float(mu), dampening: Float(damp), lambda: Float(lambda),
                                 nesterov: nesterov, maximize: maximize)
            var theta = Tensor(random.floats(count))
            var reference = theta.scalars
            for _ in 0..<3 {
                let g = random.floats(count)
                try sgd.step(&theta, gradient: Tensor(g))
                twin.step(&reference, g)
            }
            #expect(theta.scalars == reference, "μ \(mu), τ \(damp), nesterov \(nesterov), λ \(lambda)")
        }
    }

    @Test func parallelBlocksMatchOneThread() throws {
        // 300k parameters split across threads; the result must not depend on the thread count.
        let count = 300_000
        var random = TestGenerator(seed: 7)
        let start = Tensor(random.floats(count)), g = Tensor(random.floats(count))
        var results: [Tensor] = []
        let saved = Parallelism.maximumThreadCount
        defer { Parallelism.maximumThreadCount = saved }
        for threads in [1, 2] {
            Parallelism.maximumThreadCount = threads
            var sgd = try SGD(layout: .flat(count: count), learningRate: 0.1, momentum: 0.9)
                .withClipping(.globalNorm(1))
            var theta = start
            try sgd.step(&theta, gradient: g)
            try sgd.step(&theta, gradient: g)
            results.append(theta)
        }
        #expect(results[0] == results[1])
    }
}
