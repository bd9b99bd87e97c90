// Activation: the elementwise nonlinearity between the layers of an MLP.

/// An elementwise function applied after a hidden layer.
public enum Activation: String, Codable, Sendable, CaseIterable {
    /// x (no nonlinearity).
    case identity
    /// max(x, 0).
    case relu
    /// tanh x.
    case tanh
    /// σ(x) = 1/(1 + e⁻ˣ).
    case sigmoid

    /// The function applied to `x`, recorded on x's tape.
    public func callAsFunction(_ x: Variable) -> Variable {
        switch self {
        case .identity: x
        case .relu: NoisyOptim.relu(x)
        case .tanh: NoisyOptim.tanh(x)
        case .sigmoid: NoisyOptim.sigmoid(x)
        }
    }
}
