// MLP: a stack of Linear layers with one activation between them, and the objective closures
// (loss and gradient at a point, for a sampling vector) that the optimizers step with.

/// A multilayer perceptron: Linear layers of `sizes[0] → sizes[1] → … → sizes.last`, with
/// `activation` after every layer but the last (whose outputs are logits or predictions).
///
/// Its parameters are the segments of `layout` (`layer0.weight`, `layer0.bias`, `layer1.weight`,
/// …), one flat vector for the whole model.
///
/// ```swift
/// let model = MLP(sizes: [64, 128, 10], activation: .tanh)
/// var parameters = model.initialParameters(seed: 42)
/// let objective = model.objective(inputs: features, labels: labels)
/// let (loss, gradient) = try objective(parameters, .batch([0, 5, 9], exampleCount: labels.count))
/// ```
public struct MLP: Sendable {
    /// The width of the input, of every hidden layer, and of the output.
    public let sizes: [Int]
    /// The function after every layer but the last.
    public let activation: Activation
    /// The layers, in order.
    public let layers: [Linear]
    /// Where each layer's weight and bias sit in the flat parameter vector.
    public let layout: ParameterLayout

    /// An MLP with layers sizes[i] → sizes[i + 1]; at least an input and an output size.
    public init(sizes: [Int], activation: Activation = .relu) {
        check(sizes.count >= 2, "an MLP needs at least an input and an output size, got \(sizes)")
        check(sizes.allSatisfy { $0 > 0 }, "MLP sizes must be positive, got \(sizes)")
        var layout = ParameterLayout()
        var layers: [Linear] = []
        for i in 0..<(sizes.count - 1) {
            layers.append(Linear(inputSize: sizes[i], outputSize: sizes[i + 1], name: "layer\(i)", in: &layout))
        }
        self.sizes = sizes
        self.activation = activation
        self.layers = layers
        self.layout = layout
    }

    /// The outputs (logits, or predictions for regression) for a batch x of rows, recorded on
    /// x's tape: x → activation(layer₀(x)) → … → layerₗ(·).
    public func callAsFunction(_ input: Variable) -> Variable {
        var x = input
        for (i, layer) in layers.enumerated() {
            x = layer(x)
            if i < layers.count - 1 { x = activation(x) }
        }
        return x
    }

    /// The outputs for every row of `inputs` at `parameters`, without differentiating.
    public func outputs(at parameters: Tensor, inputs: Tensor, tape: Tape = Tape()) -> Tensor {
        checkInputs(inputs)
        return tape.value(at: parameters, in: layout) { tape in self(tape.constant(inputs)) }
    }

    private func checkInputs(_ inputs: Tensor) {
        check(inputs.rank == 2 && inputs.shape[1] == sizes[0],
                     "the MLP takes rows of \(sizes[0]) features, inputs have shape \(inputs.shape)")
    }

    // MARK: - Objectives

    /// L(θ) = Σᵢ Wᵢ ℓᵢ(θ) with ℓᵢ the softmax cross-entropy of example i, and its gradient in
    /// the flat layout: the closure an optimizer calls with the point θ and the sampling vector W
    /// it chose. Only the examples listed in W (with a non-zero weight) are evaluated: their rows
    /// are gathered into one batch.
    ///
    /// The closure keeps one `Tape` (see `objective(in:_:)`), so repeated calls reuse its
    /// buffers; it is not meant to be called from several threads at once.
    public func objective(inputs: Tensor, labels: [Int]) -> Objective {
        checkInputs(inputs)
        check(labels.count == inputs.shape[0], "\(labels.count) labels for \(inputs.shape[0]) examples")
        let classes = sizes[sizes.count - 1]
        if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) {
            fail("label \(bad) is outside the model's 0..<\(classes) classes")
        }
        return NoisyOptim.objective(in: layout) { [self] tape, weights in
            let (indices, w) = MLP.nonZero(weights, exampleCount: inputs.shape[0])
            let logits = self(tape.constant(inputs).gatheringRows(indices))
            let losses = tape.recordSoftmaxCrossEntropy(logits, labelCount: indices.count) { labels[indices[$0]] }
            return weightedSum(losses, weights: w)
        }
    }

    /// L(θ) = Σᵢ Wᵢ ℓᵢ(θ) with ℓᵢ = ‖f(xᵢ) − yᵢ‖² the squared error of example i, and its
    /// gradient; `targets` holds one row per example (shape [n] for a single output, or
    /// [n, outputs]). As `objective(inputs:labels:)`, only the examples in W are evaluated.
    public func objective(inputs: Tensor, targets: Tensor) -> Objective {
        checkInputs(inputs)
        let outputs = sizes[sizes.count - 1]
        check(targets.shape == [inputs.shape[0], outputs] || (outputs == 1 && targets.shape == [inputs.shape[0]]),
                     "targets of shape \(targets.shape) do not fit \(inputs.shape[0]) examples of \(outputs) outputs")
        let targetRows = targets.reshaped(to: [inputs.shape[0], outputs])
        return NoisyOptim.objective(in: layout) { [self] tape, weights in
            let (indices, w) = MLP.nonZero(weights, exampleCount: inputs.shape[0])
            let predictions = self(tape.constant(inputs).gatheringRows(indices))
            let losses = squaredError(predictions: predictions, targets: tape.constant(targetRows).gatheringRows(indices))
            return weightedSum(losses, weights: w)
        }
    }

    /// The objective for a data set: cross-entropy on its labels when it has classes, squared
    /// error on its targets otherwise.
    public func objective(on dataset: Dataset) -> Objective {
        if dataset.classCount != nil {
            return objective(inputs: dataset.features, labels: dataset.labels)
        }
        return objective(inputs: dataset.features, targets: dataset.targets)
    }

    /// W's entries without the zero weights (which contribute nothing to L or its gradient, so
    /// their examples need not be run). Copies only when there is a zero to drop.
    static func nonZero(_ weights: SampleWeights, exampleCount: Int) -> (indices: [Int], weights: [Float]) {
        check(weights.exampleCount == exampleCount,
                     "the sampling vector is over \(weights.exampleCount) examples, the data has \(exampleCount)"
                     + " (an optimizer without a sampling scheme passes W over 1 example: give it"
                     + " `sampling: FullBatch(exampleCount: \(exampleCount))` for full-batch descent)")
        guard weights.weights.contains(0) else { return (weights.indices, weights.weights) }
        var indices: [Int] = [], values: [Float] = []
        for (i, w) in zip(weights.indices, weights.weights) where w != 0 {
            indices.append(i)
            values.append(w)
        }
        return (indices, values)
    }
}
