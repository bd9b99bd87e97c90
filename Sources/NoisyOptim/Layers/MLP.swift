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

    func checkInputs(_ inputs: Tensor) {
        check(inputs.rank == 2 && inputs.shape[1] == sizes[0],
                     "the MLP takes rows of \(sizes[0]) features, inputs have shape \(inputs.shape)")
    }
}
