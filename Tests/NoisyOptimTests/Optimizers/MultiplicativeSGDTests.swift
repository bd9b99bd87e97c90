import Foundation
import Testing
@testable import NoisyOptim

@Suite struct MultiplicativeSGDTests {
    static let problem = LeastSquares.synthetic()

    @Test func fixedBatchEqualsMiniBatchSGDBitForBit() throws {
        // W = 1/b on the same b rows every step: MSGD's closure step must be exactly SGD given that
        // batch's gradient.
        let p = Self.problem, batch = [3, 17, 42, 99, 5, 64, 120, 0]
        var msgd = try SGD(layout: .flat(count: p.columns), learningRate: 0.05, momentum: 0.9)
            .withSampling(FixedBatch(exampleCount: p.rows, batch: batch), seed: 1)
        var sgd = try SGD(layout: .flat(count: p.columns), learningRate: 0.05, momentum: 0.9)
        var a = Tensor.zeros([p.columns]), b = Tensor.zeros([p.columns])
        for _ in 0..<20 {
            let report = try msgd.step(&a, objective: p.objective)
            let (_, g) = p.lossAndGradient(at: b.scalars, weights: .batch(batch, exampleCount: p.rows))
            try sgd.step(&b, gradient: Tensor(g))
            #expect(report.applied && report.loss != nil)
        }
        #expect(a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern))
        #expect(msgd.state.transform == sgd.state.transform && msgd.stepCount == sgd.stepCount)
    }

    @Test func samplingDependsOnlyOnSeedAndStep() throws {
        let p = Self.problem
        func make(_ seed: UInt64) throws -> MultiplicativeSGD {
            try MultiplicativeSGD(layout: .flat(count: p.columns), learningRate: 0.01,
                                  sampling: RandomBatch(exampleCount: p.rows, batchSize: 8), samplingSeed: seed)
        }
        var a = try make(1), b = try make(1), c = try make(2)
        #expect(a.sampleWeights() == b.sampleWeights())
        #expect(a.sampleWeights() != c.sampleWeights())
        // Drawing does not advance anything; a step does.
        #expect(a.sampleWeights() == a.sampleWeights())
        let first = a.sampleWeights()
        var x = Tensor.zeros([p.columns])
        try a.step(&x, objective: p.objective)
        #expect(a.sampleWeights() != first)
        // A restored state draws what the original draws.
        try b.restore(a.state)
        #expect(b.sampleWeights() == a.sampleWeights())
        _ = c
    }

    @Test func theObjectiveSeesTheDrawnWeights() throws {
        let p = Self.problem
        var msgd = try MultiplicativeSGD(layout: .flat(count: p.columns), learningRate: 0.01,
                                         sampling: RandomBatch(exampleCount: p.rows, batchSize: 8), samplingSeed: 3)
        var x = Tensor.zeros([p.columns])
        for _ in 0..<5 {
            let expected = msgd.sampleWeights()
            try msgd.step(&x) { point, weights in
                #expect(weights == expected)
                #expect(weights.indices.count == 8 && Set(weights.indices).count == 8)
                return p.objective(point, weights)
            }
        }
    }
}
