import Foundation
import Testing
@testable import NoisyOptim

/// Saving an optimizer's state mid-run and restoring it continues the run bit for bit.
@Suite struct CheckpointTests {
    @Test func floatsRoundTripThroughJSONExactly() throws {
        var random = TestGenerator(seed: 11)
        var values: [Float] = [0.1, 1 / 3, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude,
                               -0.0, 16_777_216, 16_777_218, .ulpOfOne, Float(bitPattern: 0x3F80_0001)]
        values += (0..<1000).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: random.nextUInt64()) & 0x7F7F_FFFF) }
        let decoded = try JSONDecoder().decode([Float].self, from: JSONEncoder().encode(values))
        #expect(decoded.map(\.bitPattern) == values.map(\.bitPattern))
    }

    /// Runs 6 steps straight, and 3 steps + JSON save/restore into a fresh optimizer + 3 steps.
    func resumesExactly<O: Optimizer>(_ make: () throws -> O, count: Int) throws {
        var random = TestGenerator(seed: 5)
        let gradients = (0..<6).map { _ in Tensor(random.floats(count)) }
        let start = Tensor(random.floats(count))

        var straight = try make(), x = start
        for g in gradients { try straight.step(&x, gradient: g) }

        var first = try make(), y = start
        for g in gradients[..<3] { try first.step(&y, gradient: g) }
        let saved = try JSONEncoder().encode(first.state)
        let savedParameters = try JSONEncoder().encode(y)
        var resumed = try make()
        try resumed.restore(try JSONDecoder().decode(O.State.self, from: saved))
        var z = try JSONDecoder().decode(Tensor.self, from: savedParameters)
        for g in gradients[3...] { try resumed.step(&z, gradient: g) }

        #expect(z.scalars.map(\.bitPattern) == x.scalars.map(\.bitPattern))
        #expect(resumed.state == straight.state)
    }

    @Test func sgdWithNesterovMomentum() throws {
        try resumesExactly({ try SGD(layout: .flat(count: 3000), learningRate: .cosine(initial: 0.1, totalSteps: 6),
                                     momentum: 0.9, nesterov: true, weightDecay: 0.01) }, count: 3000)
    }

    @Test func adamW() throws {
        try resumesExactly({ try AdamW(layout: .flat(count: 3000), learningRate: 0.01, weightDecay: 0.1)
            .withClipping(.globalNorm(5)) }, count: 3000)
    }

    @Test func aCopyIsACheckpoint() throws {
        var sgd = try SGD(layout: .flat(count: 100), learningRate: 0.1, momentum: 0.9)
        var theta = Tensor.zeros([100])
        try sgd.step(&theta, gradient: Tensor(shape: [100], repeating: 1))
        let copy = sgd
        try sgd.step(&theta, gradient: Tensor(shape: [100], repeating: 1))
        // The copy's velocity was not touched by the original's second step (copy-on-write).
        #expect(copy.state.rule.second.velocity == Tensor(shape: [100], repeating: 1))
        #expect(copy.stepCount == 1 && sgd.stepCount == 2)
    }

    /// 8 closure steps straight vs 4 + JSON save/restore + 4, with every noise site active.
    func closureRunResumesExactly<O: Optimizer>(_ make: () throws -> O, objective: Objective, count: Int) throws {
        var straight = try make(), x = Tensor.zeros([count])
        for _ in 0..<8 { try straight.step(&x, objective: objective) }
        var first = try make(), y = Tensor.zeros([count])
        for _ in 0..<4 { try first.step(&y, objective: objective) }
        let saved = try JSONEncoder().encode(first.state)
        var resumed = try make()
        try resumed.restore(try JSONDecoder().decode(O.State.self, from: saved))
        for _ in 0..<4 { try resumed.step(&y, objective: objective) }
        #expect(y.scalars.map(\.bitPattern) == x.scalars.map(\.bitPattern))
        #expect(resumed.state == straight.state)
    }

    @Test func noisyMultiplicativeSGDWithMomentum() throws {
        let p = LeastSquares.synthetic()
        try closureRunResumesExactly({
            try SGD(layout: .flat(count: p.columns), learningRate: 0.01, momentum: 0.9)
                .withSampling(RandomBatch(exampleCount: p.rows, batchSize: 8), seed: 7)
                .withGradientNoise(GradientNoise(eta: 0.3, seed: 8))
        }, objective: p.objective, count: p.columns)
    }

    @Test func everySiteAroundAdam() throws {
        let p = LeastSquares.synthetic()
        try closureRunResumesExactly({
            try Adam(layout: .flat(count: p.columns), learningRate: 0.01, weightDecay: 0.01)
                .withSampling(RandomBatch(exampleCount: p.rows, batchSize: 8), seed: 1)
                .withPerturbation(Perturbation(sigma: 0.05, mode: .everyParameter, seed: 2))
                .withClipping(.globalNorm(10))
                .withGradientNoise(GradientNoise(eta: 0.1, seed: 3))
                .withParameterNoise(.langevin(temperature: 0.01, seed: 4))
        }, objective: p.objective, count: p.columns)
    }

    @Test func antiCorrelatedPerturbationWithMomentumAndParameterNoise() throws {
        let q = Quadratic.conditioned(10, dimension: 20)
        var layout = ParameterLayout()
        layout.append("a", shape: [12])
        layout.append("b", shape: [8])
        try closureRunResumesExactly({
            try SGD(layout: layout, learningRate: 0.05, momentum: 0.5)
                .withPerturbation(Perturbation(sigma: 0.1, mode: .allSegments, antiCorrelated: true, seed: 5))
                .withParameterNoise(ParameterNoise(standardDeviation: 0.01, seed: 6))
        }, objective: q.objective, count: 20)
    }

    @Test func antiCorrelatedLayerWisePGD() throws {
        let q = Quadratic.conditioned(10, dimension: 20)
        var layout = ParameterLayout()
        layout.append("a", shape: [12])
        layout.append("b", shape: [8])
        try closureRunResumesExactly({
            try PerturbedGD(layout: layout, learningRate: 0.05,
                            perturbation: Perturbation(sigma: 0.1, mode: .layerWise, antiCorrelated: true, seed: 3))
        }, objective: q.objective, count: 20)
    }
}
