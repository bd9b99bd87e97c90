import Foundation
import Testing
@testable import NoisyOptim

@Suite struct AdamTests {
    @Test func firstStepIsLearningRateTimesSign() throws {
        // t = 0: m = 0.1g, v = 0.001g², m̂ = g, v̂ = g², so d = g/(|g| + ε) ≈ sign(g).
        var adam = try Adam(layout: .flat(count: 3), learningRate: 0.01)
        var theta = Tensor([1, 1, 1])
        try adam.step(&theta, gradient: Tensor([3, -0.5, 1e-3]))
        // |g| = 10⁻³ still dominates ε = 10⁻⁸: d = 1 − 10⁻⁵.
        expectClose(theta.scalars, [0.99, 1.01, 0.99], relativeTolerance: 1e-6)
    }

    @Test func secondStepByHand() throws {
        // g₁ = 1, g₂ = −1, β = (0.9, 0.999), lr = 0.1, ε = 0.
        // m₁ = 0.1, v₁ = 0.001, d₁ = 1 → θ₁ = −0.1.
        // m₂ = 0.09 − 0.1 = −0.01, v₂ = 0.000999 + 0.001 = 0.001999;
        // m̂₂ = −0.01/0.19 = −0.0526316, v̂₂ = 0.001999/0.001999 = 1 → d₂ = −0.0526316, θ₂ = −0.0947368.
        var adam = try Adam(layout: .flat(count: 1), learningRate: 0.1, epsilon: 1e-30)
        var theta = Tensor([0])
        // Float(0.999) = 0.99900001, so the kernel's 1 − β₂ is off by 1.3·10⁻⁵ relative while the
        // bias correction (in Double) is not: v̂ is 1 to about 10⁻⁵ only, hence the tolerance.
        try adam.step(&theta, gradient: Tensor([1]))
        expectClose(theta.scalar, -0.1, relativeTolerance: 5e-5)
        try adam.step(&theta, gradient: Tensor([-1]))
        expectClose(theta.scalar, -0.0947368, relativeTolerance: 5e-5)
    }

    @Test func decoupledDecayIsAddedAfterScaling() throws {
        // θ₀ = 2, g = 4, λ = 0.5, lr = 0.1. AdamW: d = 1 + 0.5·2 = 2 → θ₁ = 1.8.
        // Adam (coupled): g' = 4 + 1 = 5, d = 1 → θ₁ = 1.9.
        var adamW = try AdamW(layout: .flat(count: 1), learningRate: 0.1, epsilon: 1e-30, weightDecay: 0.5)
        var adam = try Adam(layout: .flat(count: 1), learningRate: 0.1, epsilon: 1e-30, weightDecay: 0.5)
        var a = Tensor([2]), b = Tensor([2])
        try adamW.step(&a, gradient: Tensor([4]))
        try adam.step(&b, gradient: Tensor([4]))
        expectClose(a.scalar, 1.8, relativeTolerance: 1e-6)
        expectClose(b.scalar, 1.9, relativeTolerance: 1e-6)
    }

    /// Adam one scalar at a time, in the kernel's operation order: sizes with and without a tail
    /// shorter than the fused loop's 8 or 16 lanes, within one block and across blocks.
    @Test(arguments: [1, 7, 8, 15, 16, 17, 2049, 4100])
    func matchesScalarTwinBitForBit(count: Int) throws {
        var random = TestGenerator(seed: 9)
        var adam = try Adam(layout: .flat(count: count), learningRate: 0.01)
        var theta = Tensor(random.floats(count))
        var x = theta.scalars
        var m = [Float](repeating: 0, count: count), v = m
        let b1: Float = 0.9, b2: Float = 0.999, e: Float = 1e-8
        for t in 0..<3 {
            let g = random.floats(count)
            try adam.step(&theta, gradient: Tensor(g))
            // The corrections use β rounded to Float, as the kernel's averages do.
            let k1 = Float(1 / (1 - pow(Double(b1), Double(t + 1))))
            let k2 = Float(1 / (1 - pow(Double(b2), Double(t + 1))).squareRoot())
            for i in 0..<count {
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * (g[i] * g[i])
                let d = m[i] / (v[i].squareRoot() * k2 + e) * k1
                x[i] = x[i] + (-0.01) * d
            }
        }
        #expect(theta.scalars == x)
    }
}

@Suite struct ClipTests {
    @Test func globalNormScalesTheWholeGradient() throws {
        // g = (3, 4) over two segments, ‖g‖ = 5, max 1: g ← g·1/(5 + 10⁻⁶) ≈ (0.6, 0.8).
        var layout = ParameterLayout()
        layout.append("a", shape: [1])
        layout.append("b", shape: [1])
        var sgd = try SGD(layout: layout, learningRate: 1).withClipping(.globalNorm(1))
        var theta = Tensor([0, 0])
        try sgd.step(&theta, gradient: Tensor([3, 4]))
        expectClose(theta.scalars, [-0.6, -0.8], relativeTolerance: 1e-6)
        // Below the threshold nothing changes.
        try sgd.step(&theta, gradient: Tensor([0.3, 0.4]))
        expectClose(theta.scalars, [-0.9, -1.2], relativeTolerance: 1e-6)
    }

    @Test func valueClampsEachElement() throws {
        var sgd = try SGD(layout: .flat(count: 4), learningRate: 1).withClipping(.value(0.5))
        var theta = Tensor.zeros([4])
        try sgd.step(&theta, gradient: Tensor([2, -3, 0.25, -0.5]))
        #expect(theta.scalars == [-0.5, 0.5, -0.25, 0.5])
    }

    @Test func clippingComesBeforeWeightDecay() throws {
        // θ = 10, g = 100 clipped by value to 1, then + λθ = 1 + 0.1·10 = 2: θ₁ = 10 − 0.1·2 = 9.8.
        var sgd = try SGD(layout: .flat(count: 1), learningRate: 0.1, weightDecay: 0.1).withClipping(.value(1))
        var theta = Tensor([10])
        try sgd.step(&theta, gradient: Tensor([100]))
        expectClose(theta.scalar, 9.8, relativeTolerance: 1e-6)
    }
}
