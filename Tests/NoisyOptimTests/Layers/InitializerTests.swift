import Testing
@testable import NoisyOptim

@Suite struct InitializerTests {
    /// Mean and variance of a 300 × 200 weight (60,000 draws) against the initializer's law. The
    /// sample variance has relative standard error √((κ − 1)/N): 0.37% for a uniform (κ = 1.8),
    /// 0.58% for a normal (κ = 3); the 3% tolerance is over 5 of those. The mean's standard error
    /// is σ/√N; the tolerance is 5 of those.
    @Test(arguments: [
        (Initializer.glorotUniform, 2.0 / 500, true), (.glorotNormal, 2.0 / 500, false),
        (.heUniform, 2.0 / 300, true), (.heNormal, 2.0 / 300, false),
    ])
    func momentsMatchTheLaw(initializer: Initializer, variance: Double, uniform: Bool) {
        var layout = ParameterLayout()
        layout.append("w", shape: [300, 200], role: .weight)
        let values = layout.initialParameters(seed: 17, weights: initializer).scalars.map(Double.init)
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let sampleVariance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        #expect(Swift.abs(mean) < 5 * variance.squareRoot() / n.squareRoot(), "mean \(mean)")
        #expect(Swift.abs(sampleVariance / variance - 1) < 0.03, "variance \(sampleVariance), expected \(variance)")
        if uniform {
            let bound = (3 * variance).squareRoot() // a² / 3 = variance
            #expect(values.allSatisfy { Swift.abs($0) <= bound * (1 + 1e-6) })
        }
    }

    @Test func seedFixesEveryValue() {
        let model = MLP(sizes: [4, 3, 2], activation: .tanh)
        #expect(model.initialParameters(seed: 1) == model.initialParameters(seed: 1))
        #expect(model.initialParameters(seed: 1) != model.initialParameters(seed: 2))
    }

    @Test func biasesAndConstants() {
        let model = MLP(sizes: [4, 3, 2], activation: .relu)
        let point = model.initialParameters(seed: 5)
        for layer in model.layers { #expect(point.slice(layer.bias!).scalars.allSatisfy { $0 == 0 }) }
        let constant = model.layout.initialParameters(seed: 5, biases: .constant(0.1))
        #expect(constant.slice(model.layers[1].bias!).scalars == [0.1, 0.1])
    }

    /// He-uniform for ReLU: bound √(6/784) ≈ 0.0875 exceeds Glorot's √(6/1040) ≈ 0.0760.
    @Test func reluNetworksGetHe() {
        let model = MLP(sizes: [784, 256, 10], activation: .relu)
        let weight = model.initialParameters(seed: 3).slice(model.layers[0].weight).scalars
        #expect(weight.allSatisfy { Swift.abs($0) <= (6 / Float(784)).squareRoot() })
        #expect(weight.contains { Swift.abs($0) > (6 / Float(784 + 256)).squareRoot() })
    }

    @Test func appendingASegmentLeavesTheOthersUnchanged() {
        var small = ParameterLayout()
        let w = small.append("w", shape: [5, 4], role: .weight)
        var large = small
        large.append("v", shape: [7], role: .other)
        #expect(small.initialParameters(seed: 9).slice(w) == large.initialParameters(seed: 9).slice(w))
    }

    @Test func fans() {
        var layout = ParameterLayout()
        #expect(layout.append("s", shape: []).fans == (1, 1))
        #expect(layout.append("b", shape: [6]).fans == (6, 6))
        #expect(layout.append("w", shape: [3, 5]).fans == (3, 5))
        #expect(layout.append("k", shape: [2, 2, 3, 5]).fans == (12, 20))
    }
}
