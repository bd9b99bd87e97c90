import Testing
@testable import NoisyOptim

/// The plain normal, PyTorch's Linear default and the orthogonal initializer against their laws.
@Suite struct InitializerLawTests {
    static func moments(_ values: [Float]) -> (mean: Double, variance: Double) {
        let x = values.map(Double.init), n = Double(x.count)
        let mean = x.reduce(0, +) / n
        return (mean, x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1))
    }

    /// 60,000 draws of N(0, 0.1²): the sample variance's relative standard error is √(2/N) = 0.58%,
    /// so 3% is over 5 of those; the mean's standard error is 0.1/√N, and the tolerance is 5 of them.
    @Test func normalHasTheGivenStandardDeviation() {
        var layout = ParameterLayout()
        layout.append("w", shape: [300, 200], role: .weight)
        let (mean, variance) = Self.moments(layout.initialParameters(seed: 3, weights: .normal(standardDeviation: 0.1)).scalars)
        #expect(abs(mean) < 5 * 0.1 / 60_000.0.squareRoot())
        #expect(abs(variance / 0.01 - 1) < 0.03)
    }

    /// PyTorch's nn.Linear(in, out): weight and bias both U(−1/√in, 1/√in), variance 1/(3·in).
    /// Uniform draws have kurtosis 1.8, so the variance's relative standard error is √(0.8/N).
    @Test func pytorchLinearUsesTheWeightFanInForBoth() {
        let model = MLP(sizes: [400, 300, 2], activation: .relu)
        let theta = model.initialParameters(seed: 8, weights: .pytorchLinear, biases: .pytorchLinear)
        let segments = model.layout.segments
        let weight = Array(theta.scalars[segments[0].range]), bias = Array(theta.scalars[segments[1].range])
        let bound = 1 / Float(400).squareRoot()
        #expect(weight.allSatisfy { abs($0) <= bound } && bias.allSatisfy { abs($0) <= bound })
        #expect(bias.contains { abs($0) > 0.9 * bound }) // 300 draws: all below 0.9·bound has probability 0.9³⁰⁰
        let (_, variance) = Self.moments(weight)
        let tolerance = 5 * (0.8 / Double(weight.count)).squareRoot()
        #expect(abs(variance / (1.0 / 1200) - 1) < tolerance, "variance \(variance)")
        // The second layer's bias is bounded by its own weight's fan-in, 300: 1/√300 > 1/√400.
        let secondBias = Array(theta.scalars[segments[3].range])
        #expect(secondBias.allSatisfy { abs($0) <= 1 / Float(300).squareRoot() })
    }

    /// QᵀQ = I (tall) or QQᵀ = I (wide), scaled by gain², to Float32 rounding over the sums
    /// (100 products of values ≤ 1: 1e-5 is a few hundred ulps of 1).
    @Test(arguments: [(7, 3), (3, 7), (16, 16), (1, 5), (64, 9)])
    func orthogonalHasOrthonormalColumnsOrRows(shape: (rows: Int, columns: Int)) {
        var layout = ParameterLayout()
        layout.append("w", shape: [shape.rows, shape.columns], role: .weight)
        let gain: Float = 1.5
        let q = layout.initialParameters(seed: 2, weights: .orthogonal(gain: gain)).scalars
        let tall = shape.rows >= shape.columns
        let k = min(shape.rows, shape.columns)
        for i in 0..<k {
            for j in 0..<k {
                var dot: Float = 0
                for p in 0..<max(shape.rows, shape.columns) {
                    dot += tall ? q[p * shape.columns + i] * q[p * shape.columns + j]
                                : q[i * shape.columns + p] * q[j * shape.columns + p]
                }
                #expect(abs(dot - (i == j ? gain * gain : 0)) < 1e-5, "entry (\(i), \(j)) of \(shape)")
            }
        }
    }

    @Test func orthogonalNeedsAMatrix() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var layout = ParameterLayout()
            layout.append("b", shape: [4], role: .weight)
            _ = layout.initialParameters(seed: 1, weights: .orthogonal(gain: 1))
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("orthogonal initializer needs a matrix"))
    }
}
