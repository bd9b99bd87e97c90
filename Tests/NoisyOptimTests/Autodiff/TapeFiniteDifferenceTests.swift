import Testing
@testable import NoisyOptim

/// Every op of the tape against central finite differences (ε and tolerance: GradientCheck.swift).
@Suite struct TapeFiniteDifferenceTests {
    static let cases: [GradientCase] = [
        // Arithmetic, with every broadcasting pattern the pullback has to sum over.
        GradientCase("a + b", [[2, 3], [2, 3]]) { $0[0] + $0[1] },
        GradientCase("a + row b", [[3, 4], [4]]) { $0[0] + $0[1] },
        GradientCase("column a + row b", [[3, 1], [1, 4]]) { $0[0] + $0[1] },
        GradientCase("a - scalar b", [[2, 3], []]) { $0[0] - $0[1] },
        GradientCase("b - a, inner broadcast", [[2, 3, 1], [2, 1, 4]]) { $0[1] - $0[0] },
        GradientCase("a * b", [[2, 5], [2, 5]]) { $0[0] * $0[1] },
        GradientCase("a * middle-broadcast b", [[2, 3, 4], [2, 1, 4]]) { $0[0] * $0[1] },
        GradientCase("column a * b", [[3, 1], [3, 4]]) { $0[0] * $0[1] },
        GradientCase("a / b", [([2, 3], .any), ([2, 3], .positive)]) { $0[0] / $0[1] },
        GradientCase("a / row b", [([3, 4], .any), ([4], .positive)]) { $0[0] / $0[1] },
        GradientCase("column a / b", [([3, 1], .any), ([3, 4], .positive)]) { $0[0] / $0[1] },
        GradientCase("affine: 2x + 1, 1 - x, x / 4, -x", [[5]]) { x in (2 * x[0] + 1) * (1 - x[0]) + x[0] / 4 - (-x[0]) },
        GradientCase("c / x", [([6], .positive)]) { 3 / $0[0] },
        GradientCase("x + constant tensor", [[2, 3]]) { $0[0] * Tensor([1, -2, 3]) + Tensor([[1], [2]]) },
        // Matrix products, in every transpose combination, and the fused linear layer.
        GradientCase("matmul", [[3, 4], [4, 2]]) { matmul($0[0], $0[1]) },
        GradientCase("matmul aᵀ", [[4, 3], [4, 2]]) { matmul($0[0], $0[1], transposingA: true) },
        GradientCase("matmul bᵀ", [[3, 4], [2, 4]]) { matmul($0[0], $0[1], transposingB: true) },
        GradientCase("matmul aᵀbᵀ", [[4, 3], [2, 4]]) { matmul($0[0], $0[1], transposingA: true, transposingB: true) },
        GradientCase("linear with bias", [[3, 4], [4, 2], [2]]) { linear($0[0], weight: $0[1], bias: $0[2]) },
        GradientCase("linear without bias", [[3, 4], [4, 2]]) { linear($0[0], weight: $0[1], bias: nil) },
        GradientCase("transposed", [[2, 5]]) { $0[0].transposed() * $0[0].transposed() },
        // Reductions and shapes.
        GradientCase("sum", [[2, 3]]) { square($0[0]).sum() },
        GradientCase("mean", [[2, 3]]) { square($0[0]).mean() },
        GradientCase("sum along axis 0", [[3, 4]]) { square($0[0]).sum(alongAxis: 0) },
        GradientCase("sum along axis 1, kept", [[3, 4]]) { square($0[0]).sum(alongAxis: 1, keepingDimension: true) },
        GradientCase("mean along middle axis", [[2, 3, 4]]) { square($0[0]).mean(alongAxis: 1) },
        GradientCase("mean along axis -1", [[2, 3, 4]]) { square($0[0]).mean(alongAxis: -1, keepingDimension: true) },
        GradientCase("reshaped", [[2, 6]]) { $0[0].reshaped(to: [3, -1]) * Tensor([1, 2, 3, 4]) },
        GradientCase("flattened", [[2, 3]]) { square($0[0].flattened()) },
        GradientCase("gathering rows with repeats", [[4, 3]]) { square($0[0]).gatheringRows([2, 0, 2, 3, 2]) },
        // Elementwise functions.
        GradientCase("relu", [([3, 5], .awayFromZero)]) { relu($0[0]) },
        GradientCase("tanh", [[3, 5]]) { tanh($0[0] * 2) },
        GradientCase("sigmoid", [[3, 5]]) { sigmoid($0[0] * 3) },
        GradientCase("exp", [[3, 5]]) { exp($0[0]) },
        GradientCase("log", [([3, 5], .positive)]) { log($0[0]) },
        GradientCase("square", [[3, 5]]) { square($0[0]) },
        GradientCase("abs", [([3, 5], .awayFromZero)]) { abs($0[0]) },
        GradientCase("log-softmax", [[3, 5]]) { ($0[0] * 2).logSoftmax() },
        GradientCase("log-softmax, 17 classes (vector tail)", [[2, 17]]) { $0[0].logSoftmax() },
        // Losses.
        GradientCase("softmax cross-entropy", [[4, 5]]) { softmaxCrossEntropy(logits: $0[0] * 2, labels: [0, 4, 2, 2]) },
        GradientCase("softmax cross-entropy, 19 classes", [[2, 19]]) { softmaxCrossEntropy(logits: $0[0], labels: [18, 3]) },
        GradientCase("squared error", [[4, 3], [4, 3]]) { squaredError(predictions: $0[0], targets: $0[1], convention: .sum) },
        GradientCase("squared error of a vector", [[5], [5]]) { squaredError(predictions: $0[0], targets: $0[1], convention: .sum) },
        GradientCase("weighted sum", [[6], [6]]) { weightedSum($0[0], weights: $0[1]) },
        GradientCase("weighted sum of per-example losses", [[3, 4], [3]]) { x in
            weightedSum(softmaxCrossEntropy(logits: x[0], labels: [1, 0, 3]), weights: x[1])
        },
        // A composite that reuses nodes: x feeds four ops, h two.
        GradientCase("composite reusing nodes", [[2, 3], [3, 3]]) { v in
            let x = v[0], w = v[1]
            let h = tanh(matmul(x, w))
            return (h * x + square(h) - sigmoid(x) / 2).sum(alongAxis: 0) + x.mean()
        },
        GradientCase("two-layer MLP", [[4, 3], [3, 5], [5], [5, 2], [2]]) { v in
            let h = tanh(linear(v[0], weight: v[1], bias: v[2]))
            return softmaxCrossEntropy(logits: linear(h, weight: v[3], bias: v[4]), labels: [0, 1, 1, 0])
        },
    ]

    @Test(arguments: cases, [1, 2, 3] as [UInt64])
    func matchesCentralDifferences(_ testCase: GradientCase, seed: UInt64) {
        let report = GradientCheck.run(testCase, seed: seed)
        #expect(report.checked > 0)
        #expect(report.worstExcess <= 0, "\(testCase.name): \(report.worstPlace)")
    }

    /// Each case as f(x) + f(x)/2: every pullback runs twice into the same input gradients, so
    /// the second run takes the accumulating path (β = 1 in the GEMMs, += in the kernels), which
    /// a single use never reaches.
    static let accumulatingCases: [GradientCase] = cases.map { testCase in
        GradientCase(testCase.name + ", twice", testCase.inputs) { v in testCase.f(v) + testCase.f(v) / 2 }
    }

    @Test(arguments: accumulatingCases)
    func accumulatesOverRepeatedUse(_ testCase: GradientCase) {
        let report = GradientCheck.run(testCase, seed: 4)
        #expect(report.worstExcess <= 0, "\(testCase.name): \(report.worstPlace)")
    }

    /// Documents the step: at ε = 1e-5, Float32 cancellation (the ULP-level error of f over ε)
    /// swamps the same tolerance — the two-layer MLP's worst error is ≈ 1.5e-2 there — which is why
    /// the checks use ε = 1e-2.
    @Test func tooSmallAStepFails() {
        let mlp = TapeFiniteDifferenceTests.cases.first { $0.name == "two-layer MLP" }!
        let report = GradientCheck.run(mlp, step: 1e-5)
        #expect(report.worstExcess > 0, "ε = 1e-5 unexpectedly passed: \(report.worstPlace)")
    }
}
