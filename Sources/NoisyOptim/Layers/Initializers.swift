// Initializers: seeded initial values for the segments of a parameter layout (Glorot, He, plain
// normal, PyTorch's Linear default, orthogonal, constants), drawn with Philox4x32 so a seed fixes every value on every machine.

/// How the initial values of one parameter segment are drawn, from its fan-in and fan-out.
///
/// - Glorot (Xavier): Var = 2/(fanIn + fanOut), which keeps activation and gradient variances
///   level through tanh/sigmoid layers (Glorot and Bengio 2010, "Understanding the difficulty of
///   training deep feedforward neural networks", AISTATS).
/// - He (Kaiming): Var = 2/fanIn, the variance that keeps ReLU activations level (He, Zhang, Ren
///   and Sun 2015, "Delving deep into rectifiers", ICCV).
/// - Plain normal N(0, s²): the "simple init" of Neelakantan et al. 2015 (s = 0.1).
/// - PyTorch's `nn.Linear` default: Kaiming uniform with a = √5, i.e. gain √(2/(1 + a²)) = √(1/3)
///   and bound gain·√(3/fanIn) = 1/√fanIn, for weights and (the same bound, from the layer's
///   weight fan-in) for biases.
/// - Orthogonal: a uniformly random (Haar) matrix with orthonormal rows or columns, times a gain
///   (Saxe, McClelland and Ganguli 2014, "Exact solutions to the nonlinear dynamics of learning in
///   deep linear neural networks", ICLR).
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
    /// N(0, s²), whatever the fans.
    case normal(standardDeviation: Float)
    /// U(−a, a] with a = 1/√fanIn: PyTorch's `nn.Linear` default (Kaiming uniform, a = √5) for the
    /// weight, and its bias rule when given to a bias, where fanIn is the fan-in of the layer's
    /// weight (see `ParameterLayout.initialParameters`).
    case pytorchLinear
    /// gain · Q with Q a Haar-random matrix whose columns (rows, if it is wider than tall) are
    /// orthonormal; a kernel [k₁, …, in, out] is treated as a (k₁·…·in) × out matrix. Needs a
    /// segment of rank ≥ 2.
    case orthogonal(gain: Float)

    /// Fills `buffer` for a segment with the given fans, drawing from `generator`.
    public func fill(_ buffer: UnsafeMutableBufferPointer<Float>, fanIn: Int, fanOut: Int, using generator: inout Philox4x32) {
        switch self {
        case .zeros: buffer.update(repeating: 0)
        case let .constant(c): buffer.update(repeating: c)
        case .glorotUniform: Initializer.fillUniform(buffer, bound: (6 / Float(fanIn + fanOut)).squareRoot(), &generator)
        case .glorotNormal: generator.fillNormal(buffer, mean: 0, standardDeviation: (2 / Float(fanIn + fanOut)).squareRoot())
        case .heUniform: Initializer.fillUniform(buffer, bound: (6 / Float(fanIn)).squareRoot(), &generator)
        case .heNormal: generator.fillNormal(buffer, mean: 0, standardDeviation: (2 / Float(fanIn)).squareRoot())
        case let .normal(s): generator.fillNormal(buffer, mean: 0, standardDeviation: s)
        case .pytorchLinear: Initializer.fillUniform(buffer, bound: 1 / Float(fanIn).squareRoot(), &generator)
        case let .orthogonal(gain):
            check(buffer.count == fanIn * fanOut && buffer.count > 0,
                  "an orthogonal initializer needs a matrix segment; got \(buffer.count) values for fans (\(fanIn), \(fanOut))")
            Initializer.fillOrthogonal(buffer, rows: fanIn, columns: fanOut, gain: gain, &generator)
        }
    }

    /// Q of the QR decomposition of a Gaussian matrix, by modified Gram–Schmidt in Double on the
    /// shorter side. Gram–Schmidt's R has a positive diagonal, which makes Q Haar-distributed
    /// (Mezzadri 2007, "How to generate random matrices from the classical compact groups").
    private static func fillOrthogonal(_ buffer: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int, gain: Float,
                                       _ generator: inout Philox4x32) {
        // Orthonormalize k vectors of length m: the columns when tall, the rows when wide.
        let tall = rows >= columns
        let k = tall ? columns : rows, m = tall ? rows : columns
        var gaussian = [Float](repeating: 0, count: k * m)
        gaussian.withUnsafeMutableBufferPointer { generator.fillNormal($0, mean: 0, standardDeviation: 1) }
        var q = gaussian.map(Double.init) // vector j occupies q[j·m ..< (j + 1)·m]
        for j in 0..<k {
            for i in 0..<j {
                var dot = 0.0
                for p in 0..<m { dot += q[i * m + p] * q[j * m + p] }
                for p in 0..<m { q[j * m + p] -= dot * q[i * m + p] }
            }
            var norm = 0.0
            for p in 0..<m { norm += q[j * m + p] * q[j * m + p] }
            norm = norm.squareRoot()
            for p in 0..<m { q[j * m + p] /= norm }
        }
        for r in 0..<rows {
            for c in 0..<columns {
                let value = tall ? q[c * m + r] : q[r * m + c]
                buffer[r * columns + c] = gain * Float(value)
            }
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
    /// the values of the others unchanged. A bias initialized by `.pytorchLinear` takes its fan-in
    /// from the nearest weight segment before it (a `Linear` appends its weight, then its bias).
    public func initialParameters(seed: UInt64, weights: Initializer = .glorotUniform,
                                  biases: Initializer = .zeros, others: Initializer = .glorotUniform) -> Tensor {
        var result = Tensor(shape: [count], repeating: 0)
        result.withUnsafeMutableBufferPointer { flat in
            var weightFanIn: Int? = nil
            for (i, segment) in segments.enumerated() {
                if segment.role == .weight { weightFanIn = segment.fans.fanIn }
                guard segment.count > 0 else { continue }
                var generator = Philox4x32(seed: seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
                let initializer: Initializer
                switch segment.role {
                case .weight: initializer = weights
                case .bias: initializer = biases
                case .other: initializer = others
                }
                var (fanIn, fanOut) = segment.fans
                if segment.role == .bias && initializer == .pytorchLinear, let weightFanIn { fanIn = weightFanIn }
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

    /// Initial parameters with `weights` for every weight and `biases` for every bias; PyTorch's
    /// `nn.Linear` default is `weights: .pytorchLinear, biases: .pytorchLinear`.
    public func initialParameters(seed: UInt64, weights: Initializer, biases: Initializer = .zeros) -> Tensor {
        layout.initialParameters(seed: seed, weights: weights, biases: biases)
    }
}
