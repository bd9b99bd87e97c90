// Linear: the affine layer x·W + b, as two segments of a parameter layout.

/// A fully connected layer y = x·W + b on a batch of rows: x is batch × inputSize, W is
/// inputSize × outputSize (so x·W needs no transpose), b has outputSize scalars.
///
/// The layer holds no numbers, only where its parameters sit in a flat parameter vector; the
/// values come from the tape it is applied on (`tape.parameter`).
///
/// ```swift
/// var layout = ParameterLayout()
/// let dense = Linear(inputSize: 4, outputSize: 3, name: "dense", in: &layout)
/// // inside valueWithGradient(at:in:): let y = relu(dense(x))
/// ```
public struct Linear: Sendable, Hashable {
    /// The weight segment, shape [inputSize, outputSize], role `.weight`.
    public let weight: ParameterSegment
    /// The bias segment, shape [outputSize], role `.bias`; nil for a layer without bias.
    public let bias: ParameterSegment?

    /// Appends the layer's segments `name.weight` (and `name.bias`) to `layout`.
    public init(inputSize: Int, outputSize: Int, hasBias: Bool = true, name: String, in layout: inout ParameterLayout) {
        check(inputSize >= 0 && outputSize >= 0, "Linear \(name): sizes must be non-negative, got \(inputSize) → \(outputSize)")
        weight = layout.append("\(name).weight", shape: [inputSize, outputSize], role: .weight)
        bias = hasBias ? layout.append("\(name).bias", shape: [outputSize], role: .bias) : nil
    }

    /// The number of input features.
    public var inputSize: Int { weight.shape[0] }
    /// The number of outputs.
    public var outputSize: Int { weight.shape[1] }

    /// x·W + b for a batch x (batch × inputSize), recorded as one fused op on x's tape.
    public func callAsFunction(_ input: Variable) -> Variable {
        let tape = input.tape
        return linear(input, weight: tape.parameter(weight), bias: bias.map { tape.parameter($0) })
    }
}
