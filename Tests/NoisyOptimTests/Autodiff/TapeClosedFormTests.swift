import Foundation
import Testing
@testable import NoisyOptim

/// Gradients with known closed forms, and forwards against the Tensor ops they mirror.
@Suite struct TapeClosedFormTests {
    /// The README example, kept true here.
    @Test func readmeExample() {
        var layout = ParameterLayout()
        let w = layout.append("w", shape: [3])
        let (loss, gradient) = valueWithGradient(at: Tensor([1, 2, 3]), in: layout) { tape in
            square(tape.parameter(w)).sum()
        }
        #expect(loss == 14)
        #expect(gradient.scalars == [2, 4, 6])
    }

    /// d/dx Σ x² = 2x, exactly (doubling is exact in binary floating point).
    @Test func sumOfSquares() {
        let x = Tensor([0.5, -1.25, 3, 1e-3, -7])
        let (value, gradient) = valueWithGradient(at: x) { x in (x * x).sum() }
        #expect(gradient.scalars == x.scalars.map { 2 * $0 })
        expectClose(value, x.scalars.reduce(0) { $0 + $1 * $1 }, relativeTolerance: 1e-6, "one rounding per term")
    }

    /// A [3, 1] column plus a [4] row broadcast to [3, 4]: each column entry is used 4 times and
    /// each row entry 3 times.
    @Test func broadcastGradientSumsOverTheBroadcastDimensions() {
        let (_, gradients) = valueWithGradient(at: Tensor([[1], [2], [3]]), Tensor([10, 20, 30, 40])) { a, b in (a + b).sum() }
        #expect(gradients.0.shape == [3, 1])
        #expect(gradients.0.scalars == [4, 4, 4])
        #expect(gradients.1.scalars == [3, 3, 3, 3])
    }

    /// Σᵢ ℓᵢ for softmax cross-entropy has gradient softmax(x) − onehot(y) row by row.
    @Test func softmaxCrossEntropyGradientIsSoftmaxMinusOneHot() {
        var generator = TestGenerator(seed: 7)
        let logits = Tensor(shape: [5, 7], scalars: generator.floats(35).map { 4 * $0 })
        let labels = [0, 6, 3, 3, 1]
        let (value, gradient) = valueWithGradient(at: logits) { x in softmaxCrossEntropy(logits: x, labels: labels).sum() }
        var expected = logits.softmax()
        for (row, label) in labels.enumerated() { expected[row, label] -= 1 }
        expectClose(gradient.scalars, expected.scalars, absoluteTolerance: 1e-6, "softmax within a few ULPs of values ≤ 1")
        let logSoftmax = logits.logSoftmax()
        let expectedLoss = labels.enumerated().reduce(Float(0)) { $0 - logSoftmax[$1.offset, $1.element] }
        expectClose(value, expectedLoss, relativeTolerance: 1e-5, "the same log-sum-exp, summed in another order")
    }

    /// Logits near 1000 would overflow exp; the row maximum is subtracted first.
    @Test func softmaxCrossEntropyIsStableForLargeLogits() {
        let (value, gradient) = valueWithGradient(at: Tensor([[1000, 1001, 999]])) { x in
            softmaxCrossEntropy(logits: x, labels: [1]).sum()
        }
        let total = Foundation.exp(-1.0) + 1 + Foundation.exp(-2.0)
        expectClose(value, Float(Foundation.log(total)), absoluteTolerance: 1e-6)
        expectClose(gradient.scalars, [Float(Foundation.exp(-1.0) / total), Float(1 / total - 1), Float(Foundation.exp(-2.0) / total)],
                    absoluteTolerance: 1e-6)
    }

    /// For C = A·B with seed G: ∂A = G·Bᵀ and ∂B = Aᵀ·G, in every transpose combination.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmulGradientsAreProductsWithTheSeed(transposeA: Bool, transposeB: Bool) {
        var generator = TestGenerator(seed: 11)
        let (m, k, n) = (5, 7, 3)
        let a = Tensor(shape: transposeA ? [k, m] : [m, k], scalars: generator.floats(m * k))
        let b = Tensor(shape: transposeB ? [n, k] : [k, n], scalars: generator.floats(k * n))
        let g = Tensor(shape: [m, n], scalars: generator.floats(m * n))
        let (value, ga, gb) = Tape().record { tape in
            let x = tape.variable(a), y = tape.variable(b)
            let c = matmul(x, y, transposingA: transposeA, transposingB: transposeB)
            tape.backward(from: c, seed: g)
            return (c.value, tape.gradient(of: x), tape.gradient(of: y))
        }
        let opA = transposeA ? a.transposed() : a, opB = transposeB ? b.transposed() : b
        expectClose(value.scalars, matmul(opA, opB).scalars, absoluteTolerance: 1e-6, "sums of 7 products of values ≤ 1")
        let expectedOpA = matmul(g, opB.transposed()), expectedOpB = matmul(opA.transposed(), g)
        expectClose(ga.scalars, (transposeA ? expectedOpA.transposed() : expectedOpA).scalars, absoluteTolerance: 1e-6, "G·Bᵀ")
        expectClose(gb.scalars, (transposeB ? expectedOpB.transposed() : expectedOpB).scalars, absoluteTolerance: 1e-6, "Aᵀ·G")
    }

    /// d/dx Σ f(x) = f′(x) for every elementwise function, against f′ in Double. Tolerance: the
    /// SIMD exp/log/tanh are within a few ULP (tanh 1e-6 relative), so 1e-5 relative plus 1e-6.
    @Test(arguments: ["relu", "tanh", "sigmoid", "exp", "log", "square", "abs"])
    func elementwiseDerivatives(function: String) {
        let x: [Float] = function == "log" ? [0.25, 0.5, 1, 2.5, 7] : [-2.5, -0.7, -0.1, 0.3, 1.2, 3]
        let gradient = NoisyOptim.gradient(at: Tensor(x)) { v -> Variable in
            switch function {
            case "relu": relu(v).sum()
            case "tanh": tanh(v).sum()
            case "sigmoid": sigmoid(v).sum()
            case "exp": exp(v).sum()
            case "log": log(v).sum()
            case "square": square(v).sum()
            default: abs(v).sum()
            }
        }
        let expected = x.map { Double($0) }.map { v -> Double in
            switch function {
            case "relu": v > 0 ? 1 : 0
            case "tanh": 1 - Foundation.tanh(v) * Foundation.tanh(v)
            case "sigmoid": Foundation.exp(-v) / ((1 + Foundation.exp(-v)) * (1 + Foundation.exp(-v)))
            case "exp": Foundation.exp(v)
            case "log": 1 / v
            case "square": 2 * v
            default: v > 0 ? 1 : -1
            }
        }
        expectClose(gradient.scalars, expected.map(Float.init), absoluteTolerance: 1e-6, relativeTolerance: 1e-5, "\(function)′")
    }

    /// ∂/∂x Σ c ⊙ log softmax(x) = c − softmax(x)·Σc, row by row.
    @Test func logSoftmaxGradient() {
        let x = Tensor([[0.5, -1, 2, 0], [3, 3, -2, 1]]), c = Tensor([[1, 0, -2, 0.5], [0.25, 1, 1, -1]])
        let g = NoisyOptim.gradient(at: x) { ($0.logSoftmax() * c).sum() }
        let softmax = x.softmax()
        let rowSums = c.sum(alongAxis: 1, keepingDimension: true)
        expectClose(g.scalars, (c - softmax * rowSums).scalars, absoluteTolerance: 1e-6)
    }

    /// f(x) = Σ (x·tanh x + x) uses x three times: f′ = tanh x + x(1 − tanh²x) + 1.
    @Test func compositeThatReusesANode() {
        let x = Tensor([-1.5, -0.3, 0, 0.7, 2])
        let gradient = NoisyOptim.gradient(at: x) { x in (x * tanh(x) + x).sum() }
        let expected = x.scalars.map { v in Foundation.tanh(v) + v * (1 - Foundation.tanh(v) * Foundation.tanh(v)) + 1 }
        expectClose(gradient.scalars, expected, absoluteTolerance: 1e-5, "SIMD tanh is within 1e-6 relative")
    }

    /// Σ wᵢℓᵢ with squared error: ∂/∂pᵢ = 2wᵢ(pᵢ − tᵢ); the weights receive the losses.
    @Test func weightedSquaredError() {
        let p = Tensor([1, 2, 3, 4]), t = Tensor([0, 2, 5, 3.5]), w = Tensor([0.5, 1, 0.25, 2])
        let (value, gradients) = valueWithGradient(at: p, w) { p, w in weightedSum(squaredError(predictions: p, targets: t, convention: .sum), weights: w) }
        #expect(value == 0.5 * 1 + 0 + 0.25 * 4 + 2 * 0.25)
        #expect(gradients.0.scalars == [1, 0, -1, 2])
        #expect(gradients.1.scalars == [1, 0, 4, 0.25])
    }

    /// The mean spreads g/n; gathering repeated rows adds their gradients.
    @Test func meanAndRepeatedRows() {
        let x = Tensor([[1, 2], [3, 4], [5, 6]])
        #expect(NoisyOptim.gradient(at: x) { $0.mean() }.scalars == [Float](repeating: 1.0 / 6, count: 6))
        #expect(NoisyOptim.gradient(at: x) { $0.gatheringRows([2, 0, 2, 2]).sum() }.scalars == [1, 1, 0, 0, 3, 3])
    }

    /// Linear regression through the flat gradient buffer: L(θ) = Σᵢ Wᵢ(xᵢ·θ − yᵢ)², whose
    /// gradient is 2·Xᵀ·diag(W)·(Xθ − y); with W = 1/n on every example, Xᵀ(Xθ − y)·(2/n).
    /// A second, unused segment must come back as zeros.
    @Test(arguments: [false, true])
    func linearRegressionMatchesItsClosedForm(sparse: Bool) throws {
        var generator = TestGenerator(seed: 3)
        let (n, d) = (9, 4)
        let x = Tensor(shape: [n, d], scalars: generator.floats(n * d))
        let y = Tensor(shape: [n], scalars: generator.floats(n))
        var layout = ParameterLayout()
        let theta = layout.append("theta", shape: [d, 1], role: .weight)
        let unused = layout.append("unused", shape: [3], role: .bias)
        let point = Tensor(shape: [layout.count], scalars: generator.floats(layout.count))
        let weights = sparse
            ? SampleWeights(exampleCount: n, indices: [4, 1, 4, 7], weights: [0.5, -0.25, 0.5, 2])
            : SampleWeights.full(exampleCount: n)
        // Through the closure shape the optimizers call: (point, W) → (loss, flat gradient).
        let f = objective(in: layout) { tape, weights in
            let rows = tape.constant(x).gatheringRows(weights.indices)
            let predictions = matmul(rows, tape.parameter(theta)).reshaped(to: [-1])
            let targets = tape.constant(y).gatheringRows(weights.indices)
            return weightedSum(squaredError(predictions: predictions, targets: targets, convention: .sum), weights: weights.weights)
        }
        let (loss, gradient) = try f(point, weights)
        #expect(try f(point, weights) == (loss, gradient), "a second call on the reused tape gives the same numbers")
        // The closed form, in Double.
        let th = point.slice(theta).scalars.map(Double.init)
        var expectedGradient = [Double](repeating: 0, count: d)
        var expectedLoss = 0.0
        for (i, w) in zip(weights.indices, weights.weights) {
            let residual = (0..<d).reduce(0.0) { $0 + Double(x[i, $1]) * th[$1] } - Double(y[i])
            expectedLoss += Double(w) * residual * residual
            for j in 0..<d { expectedGradient[j] += 2 * Double(w) * residual * Double(x[i, j]) }
        }
        if !sparse {
            // Same numbers, written as Xᵀ(Xθ − y)·(2/n).
            let residuals = matmul(x, point.slice(theta)).reshaped(to: [n]) - y
            let closedForm = matmul(x, residuals.reshaped(to: [n, 1]), transposingA: true) * (2 / Float(n))
            expectClose(closedForm.scalars, expectedGradient.map(Float.init), absoluteTolerance: 1e-5)
        }
        #expect(gradient.shape == [layout.count])
        expectClose(gradient.slice(theta).scalars, expectedGradient.map(Float.init), absoluteTolerance: 1e-5,
                    "sums of ≤ 9 terms of size ≤ 4, against Double")
        #expect(gradient.slice(unused).scalars == [0, 0, 0])
        expectClose(loss, Float(expectedLoss), relativeTolerance: 1e-5)
    }

    /// A segment asked for twice is one variable: its gradient sums both uses.
    @Test func sharedParameterSumsItsUses() {
        var layout = ParameterLayout()
        let a = layout.append("a", shape: [2])
        let (_, gradient) = valueWithGradient(at: Tensor([3, -1]), in: layout) { tape in
            (tape.parameter(a) * 2 + square(tape.parameter(named: "a"))).sum()
        }
        #expect(gradient.scalars == [8, 0])
    }

    /// The tape's forwards agree with the Tensor ops they mirror (bit for bit: the same kernels).
    @Test func forwardsMatchTensorOps() {
        var generator = TestGenerator(seed: 5)
        let a = Tensor(shape: [3, 4], scalars: generator.floats(12))
        let b = Tensor(shape: [4], scalars: generator.floats(4).map { $0 + 2 })
        let m = Tensor(shape: [4, 2], scalars: generator.floats(8))
        Tape().record { tape in
            let x = tape.constant(a), y = tape.constant(b), z = tape.constant(m)
            #expect((x + y).value == a + b)
            #expect((x - y).value == a - b)
            #expect((x * y).value == a * b)
            #expect((x / y).value == a / b)
            #expect((x * 3 + 1).value.scalars == (a * 3 + 1).scalars)
            #expect(matmul(x, z).value == matmul(a, m))
            #expect(linear(x, weight: z, bias: nil).value == matmul(a, m))
            #expect(x.transposed().value == a.transposed())
            #expect(x.sum().value.scalar == a.sum())
            #expect(x.mean().value.scalar == a.mean())
            #expect(x.sum(alongAxis: 0).value == a.sum(alongAxis: 0))
            #expect(x.sum(alongAxis: 1, keepingDimension: true).value == a.sum(alongAxis: 1, keepingDimension: true))
            #expect(x.reshaped(to: [2, -1]).value == a.reshaped(to: [2, 6]))
            #expect(x.gatheringRows([2, 2, 0]).value == a.gatheringRows([2, 2, 0]))
            #expect(relu(x).value == NoisyOptim.relu(a))
            #expect(tanh(x).value == NoisyOptim.tanh(a))
            #expect(sigmoid(x).value == NoisyOptim.sigmoid(a))
            #expect(exp(x).value == NoisyOptim.exp(a))
            #expect(log(y).value == NoisyOptim.log(b))
            #expect(square(x).value == NoisyOptim.square(a))
            #expect(abs(x).value == NoisyOptim.abs(a))
            #expect(x.logSoftmax().value == a.logSoftmax())
        }
    }
}
