import Testing
@testable import NoisyOptim

@Suite struct MLPTests {
    static func randomPoint(_ model: MLP, seed: UInt64) -> Tensor {
        var generator = TestGenerator(seed: seed)
        return Tensor(shape: [model.layout.count], scalars: generator.floats(model.layout.count))
    }

    @Test func layoutNamesShapesAndRoles() {
        let model = MLP(sizes: [5, 4, 3], activation: .tanh)
        #expect(model.layout.segments.map(\.name) == ["layer0.weight", "layer0.bias", "layer1.weight", "layer1.bias"])
        #expect(model.layout.segments.map(\.shape) == [[5, 4], [4], [4, 3], [3]])
        #expect(model.layout.segments.map(\.role) == [.weight, .bias, .weight, .bias])
        #expect(model.layout.count == 5 * 4 + 4 + 4 * 3 + 3)
        #expect(model.layers.map(\.inputSize) == [5, 4])
        #expect(model.layers.map(\.outputSize) == [4, 3])
    }

    /// The tape's forward is the composition of the Tensor ops: x·W₀ + b₀ → activation → x·W₁ + b₁.
    @Test(arguments: Activation.allCases)
    func outputsMatchTensorComposition(activation: Activation) {
        let model = MLP(sizes: [3, 5, 2], activation: activation)
        let point = MLPTests.randomPoint(model, seed: 1)
        var generator = TestGenerator(seed: 2)
        let x = Tensor(shape: [4, 3], scalars: generator.floats(12))
        let hidden = matmul(x, point.slice(model.layers[0].weight)) + point.slice(model.layers[0].bias!)
        let activated: Tensor
        switch activation {
        case .identity: activated = hidden
        case .relu: activated = relu(hidden)
        case .tanh: activated = tanh(hidden)
        case .sigmoid: activated = sigmoid(hidden)
        }
        let expected = matmul(activated, point.slice(model.layers[1].weight)) + point.slice(model.layers[1].bias!)
        expectClose(model.outputs(at: point, inputs: x).scalars, expected.scalars, absoluteTolerance: 1e-6,
                    "the bias enters before the products in the fused op: a different rounding order")
    }

    /// The flat gradient of the classification objective against central differences in each
    /// parameter (ε = 1e-2, tolerance 1e-3·(1 + |fd|), as in GradientCheck.swift).
    @Test(arguments: [Activation.tanh, .sigmoid])
    func objectiveGradientMatchesCentralDifferences(activation: Activation) throws {
        let model = MLP(sizes: [3, 4, 3], activation: activation)
        var generator = TestGenerator(seed: 9)
        let inputs = Tensor(shape: [6, 3], scalars: generator.floats(18))
        let labels = [0, 2, 1, 1, 0, 2]
        let objective = model.objective(inputs: inputs, labels: labels)
        let weights = SampleWeights(exampleCount: 6, indices: [5, 0, 3, 5], weights: [0.25, 0.5, 1, 0.25])
        var point = MLPTests.randomPoint(model, seed: 4)
        let (_, gradient) = try objective(point, weights)
        let step: Float = 1e-2
        for i in 0..<point.count {
            let original = point.scalars[i]
            point.withUnsafeMutableBufferPointer { $0[i] = original + step }
            let plus = try objective(point, weights).loss
            point.withUnsafeMutableBufferPointer { $0[i] = original - step }
            let minus = try objective(point, weights).loss
            point.withUnsafeMutableBufferPointer { $0[i] = original }
            let difference = (plus - minus) / (2 * step)
            #expect(Swift.abs(gradient.scalars[i] - difference) <= 1e-3 * (1 + Swift.abs(difference)),
                    "parameter \(i): analytic \(gradient.scalars[i]), finite difference \(difference)")
        }
    }

    /// L = Σᵢ Wᵢ ℓᵢ over the entries of W, repeats counting once per occurrence, computed by hand
    /// from the Tensor ops; entries with weight 0 change nothing.
    @Test func objectiveIsTheWeightedSumOfPerExampleLosses() throws {
        let model = MLP(sizes: [3, 4, 3], activation: .relu)
        var generator = TestGenerator(seed: 12)
        let inputs = Tensor(shape: [5, 3], scalars: generator.floats(15))
        let labels = [2, 0, 1, 2, 1]
        let point = MLPTests.randomPoint(model, seed: 5)
        let objective = model.objective(inputs: inputs, labels: labels)
        let weights = SampleWeights(exampleCount: 5, indices: [4, 1, 4], weights: [0.5, -1, 2])
        let logSoftmax = model.outputs(at: point, inputs: inputs).logSoftmax()
        let expected = zip(weights.indices, weights.weights).reduce(Float(0)) { $0 - $1.1 * logSoftmax[$1.0, labels[$1.0]] }
        let (loss, gradient) = try objective(point, weights)
        expectClose(loss, expected, absoluteTolerance: 1e-5, "three terms of size ≤ 2·ln 3")
        let withZeros = SampleWeights(exampleCount: 5, indices: [0, 4, 1, 2, 4], weights: [0, 0.5, -1, 0, 2])
        let (zeroLoss, zeroGradient) = try objective(point, withZeros)
        #expect(zeroLoss == loss)
        #expect(zeroGradient == gradient)
    }

    /// A one-layer identity MLP is linear regression: ∇ = 2·[X 1]ᵀ·diag(W)·(Xw + b − y).
    @Test func regressionObjectiveIsLinearRegression() throws {
        let model = MLP(sizes: [3, 1], activation: .identity)
        var generator = TestGenerator(seed: 21)
        let (n, d) = (7, 3)
        let x = Tensor(shape: [n, d], scalars: generator.floats(n * d))
        let y = Tensor(generator.floats(n))
        let point = MLPTests.randomPoint(model, seed: 8)
        let weights = SampleWeights(exampleCount: n, indices: [6, 2, 3], weights: [0.5, 1, 0.25])
        let (loss, gradient) = try model.objective(inputs: x, targets: y)(point, weights)
        let w = point.slice(model.layers[0].weight).scalars, b = point.slice(model.layers[0].bias!).scalars[0]
        var expectedW = [Double](repeating: 0, count: d), expectedB = 0.0, expectedLoss = 0.0
        for (i, weight) in zip(weights.indices, weights.weights) {
            let r = (0..<d).reduce(Double(b)) { $0 + Double(x[i, $1]) * Double(w[$1]) } - Double(y[i])
            expectedLoss += Double(weight) * r * r
            for j in 0..<d { expectedW[j] += 2 * Double(weight) * r * Double(x[i, j]) }
            expectedB += 2 * Double(weight) * r
        }
        expectClose(loss, Float(expectedLoss), absoluteTolerance: 1e-5)
        expectClose(gradient.scalars, expectedW.map(Float.init) + [Float(expectedB)], absoluteTolerance: 1e-5,
                    "sums of three terms of size ≤ 10, against Double")
    }

    /// `objective(on:)` picks cross-entropy for a classification set, squared error otherwise.
    @Test func objectiveForADataset() throws {
        let model = MLP(sizes: [2, 3], activation: .relu)
        let point = MLPTests.randomPoint(model, seed: 3)
        let features = Tensor([[0.5, -1], [1, 0.25], [-0.5, 0.5]])
        let classes = try Dataset(features: features, targets: Tensor([2, 0, 1]), classCount: 3)
        let weights = SampleWeights.full(exampleCount: 3)
        let viaDataset = try model.objective(on: classes)(point, weights)
        let direct = try model.objective(inputs: features, labels: [2, 0, 1])(point, weights)
        #expect(viaDataset.loss == direct.loss)
        #expect(viaDataset.gradient == direct.gradient)
        let regressionModel = MLP(sizes: [2, 1], activation: .relu)
        let regression = try Dataset(features: features, targets: Tensor([0.5, 1, -2]))
        let regressionPoint = MLPTests.randomPoint(regressionModel, seed: 6)
        let viaRegression = try regressionModel.objective(on: regression)(regressionPoint, weights)
        let directRegression = try regressionModel.objective(inputs: features, targets: Tensor([0.5, 1, -2]))(regressionPoint, weights)
        #expect(viaRegression.loss == directRegression.loss)
    }
}
