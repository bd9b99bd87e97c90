import Testing
@testable import NoisyOptim

@Suite struct TensorRandomTests {
    @Test func seededTensorsRepeatAndMatchTheGeneratorFills() {
        let a = Tensor.randomNormal([3, 5], mean: 2, standardDeviation: 0.5, seed: 11)
        let b = Tensor.randomNormal([3, 5], mean: 2, standardDeviation: 0.5, seed: 11)
        #expect(a == b)
        var g = Philox4x32(seed: 11)
        #expect(a.scalars == g.normalFloats(count: 15, mean: 2, standardDeviation: 0.5))
        #expect(Tensor.randomNormal([15], seed: 12) != Tensor.randomNormal([15], seed: 11))
    }

    @Test func uniformStaysInItsInterval() {
        let u = Tensor.randomUniform([10_000], from: -3, to: 5, seed: 4)
        #expect(u.scalars.allSatisfy { $0 > -3 && $0 <= 5 })
        // Mean of 10⁴ uniforms on (−3, 5]: 1 ± 5 standard errors (8/√12/100 ≈ 0.023 each).
        expectClose(u.mean(), 1, absoluteTolerance: 0.12)
    }
}
