// Initializers: seeded initial values for the segments of a parameter layout (Glorot, He, and
// constants), drawn with Philox4x32 so a seed fixes every value on every machine.

/// How the initial values of one parameter segment are drawn, from its fan-in and fan-out.
///
/// - Glorot (Xavier): Var = 2/(fanIn + fanOut), which keeps activation and gradient variances
///   level through tanh/sigmoid layers (Glorot and Bengio 2010, "Understanding the difficulty of
///   training deep feedforward neural networks", AISTATS).
/// - He (Kaiming): Var = 2/fanIn, the variance that keeps ReLU activations level (He, Zhang, Ren
///   and Sun 2015, "Delving deep into rectifiers", ICCV).
public enum Initializer: Codable, Sendable, Hashable {
    /// Every value 0 (the usual bias initializer).
    case zeros
    /// Every value `c`.
    case constant(Float)
    /// U(−a, a] with a = √(6/(fanIn + fanOut)).
    case glorotUniform
    /// N(0, σ²) with σ = √(2/(fanIn + fanOut)).
    case glorotNormal
    /// U(−a, a] with a = √(6/fanIn).
    case heUniform
    /// N(0, σ²) with σ = √(2/fanIn).
    case heNormal

    /// Fills `buffer` for a segment with the given fans, drawing from `generator`.
    public func fill(_ buffer: UnsafeMutableBufferPointer<Float>, fanIn: Int, fanOut: Int, using generator: inout Philox4x32) {
        switch self {
        case .zeros: buffer.update(repeating: 0)
        case let .constant(c): buffer.update(repeating: c)
        case .glorotUniform: Initializer.fillUniform(buffer, bound: (6 / Float(fanIn + fanOut)).squareRoot(), &generator)
        case .glorotNormal: generator.fillNormal(buffer, mean: 0, standardDeviation: (2 / Float(fanIn + fanOut)).squareRoot())
        case .heUniform: Initializer.fillUniform(buffer, bound: (6 / Float(fanIn)).squareRoot(), &generator)
        case .heNormal: generator.fillNormal(buffer, mean: 0, standardDeviation: (2 / Float(fanIn)).squareRoot())
        }
    }

    /// a·(2u − 1) for u ∈ (0, 1]: uniform on (−a, a].
    private static func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, bound a: Float, _ generator: inout Philox4x32) {
        generator.fillUniform(buffer)
        for i in buffer.indices { buffer[i] = a * (2 * buffer[i] - 1) }
    }
}

extension ParameterSegment {
    /// (fanIn, fanOut) as Keras computes them: a scalar has (1, 1), a vector of n has (n, n), an
    /// in × out matrix has (in, out), and a higher-rank kernel [k₁, …, in, out] multiplies both by
    /// the receptive field k₁·…
    public var fans: (fanIn: Int, fanOut: Int) {
        switch shape.count {
        case 0: return (1, 1)
        case 1: return (shape[0], shape[0])
        default:
            let receptiveField = shape.dropLast(2).reduce(1, *)
            return (shape[shape.count - 2] * receptiveField, shape[shape.count - 1] * receptiveField)
        }
    }
}

extension ParameterLayout {
    /// A flat parameter vector for this layout: each segment drawn by the initializer for its
    /// role (weights, biases, others).
    ///
    /// Segment i draws from its own generator, `Philox4x32(seed: seed &+ i·0x9E3779B97F4A7C15)`, so
    /// its values depend only on the seed, its position and its shape: appending a segment leaves
    /// the values of the others unchanged.
    public func initialParameters(seed: UInt64, weights: Initializer = .glorotUniform,
                                  biases: Initializer = .zeros, others: Initializer = .glorotUniform) -> Tensor {
        var result = Tensor(shape: [count], repeating: 0)
        result.withUnsafeMutableBufferPointer { flat in
            for (i, segment) in segments.enumerated() where segment.count > 0 {
                var generator = Philox4x32(seed: seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
                let initializer: Initializer
                switch segment.role {
                case .weight: initializer = weights
                case .bias: initializer = biases
                case .other: initializer = others
                }
                let (fanIn, fanOut) = segment.fans
                initializer.fill(UnsafeMutableBufferPointer(rebasing: flat[segment.range]), fanIn: fanIn, fanOut: fanOut,
                                 using: &generator)
            }
        }
        return result
    }
}

extension MLP {
    /// Initial parameters: He-uniform weights for a ReLU network, Glorot-uniform otherwise, and
    /// zero biases.
    public func initialParameters(seed: UInt64) -> Tensor {
        layout.initialParameters(seed: seed, weights: activation == .relu ? .heUniform : .glorotUniform)
    }
}
