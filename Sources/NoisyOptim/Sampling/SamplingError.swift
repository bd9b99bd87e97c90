// SamplingError: why a sampling scheme could not be built, and the checks that raise it.

/// Why a sampling scheme (the law of the sampling vector W of multiplicative SGD) could not be
/// built.
///
/// Thrown by the schemes' initializers and when decoding one, so an invalid scheme never draws.
public enum SamplingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A parameter is outside its domain, for example a batch size b > n or σ < 0. `name` is the
    /// parameter's label in the initializer, `value` the rejected value.
    case invalidParameter(name: String, value: Double, requirement: String)

    public var description: String {
        switch self {
        case let .invalidParameter(name, value, requirement):
            // Counts print as counts ("12", not "12.0").
            let shown = value.isFinite && value == value.rounded() && abs(value) < 1e15
                ? String(Int64(value)) : String(value)
            return "invalid sampling parameter \(name) = \(shown): requires \(requirement)"
        }
    }
}

// MARK: - Validation

/// Domain checks shared by the schemes; each throws `invalidParameter` naming the value.
enum SamplingCheck {
    static func require(_ condition: Bool, _ name: String, _ value: Double, _ requirement: String) throws {
        if !condition || value.isNaN {
            throw SamplingError.invalidParameter(name: name, value: value, requirement: requirement)
        }
    }

    /// n ≥ 1.
    static func exampleCount(_ n: Int) throws {
        try require(n >= 1, "exampleCount", Double(n), "at least 1 example")
    }

    /// 1 ≤ size ≤ limit, where the limit is the number of examples it is drawn from.
    static func count(_ value: Int, _ name: String, atMost limit: Int, _ limitName: String) throws {
        try require(value >= 1 && value <= limit, name, Double(value), "1 ≤ \(name) ≤ \(limit) (\(limitName))")
    }

    /// 1 ≤ size ≤ n for the examples that get Gaussian noise, and at least 2 when the noise is
    /// centred over them (`.full`): centred noise on one example is 0.
    static func noiseSupport(_ size: Int, _ name: String, exampleCount n: Int, covariance: SamplingCovariance) throws {
        try count(size, name, atMost: n, "the example count")
        if covariance == .full {
            try require(size >= 2, name, Double(size), "at least 2 for centred (.full) noise, which is 0 on a single example")
        }
    }

    /// 0 ≤ σ ≤ `Hyperparameter.largest` ≈ 2·10³¹: the weights (1 + σζ)/m are Float32, so a
    /// larger σ (finite as a Double or not) would make them infinite.
    static func sigma(_ sigma: Double) throws {
        try require(sigma >= 0 && sigma <= Hyperparameter.largest, "sigma", sigma,
                    "a value from 0 to \(Float(Hyperparameter.largest)) (the weights are Float32)")
    }

    /// p ∈ (0, 1] with the kept examples' weight 1/(n p) a finite Float32.
    static func keepProbability(_ p: Double, exampleCount n: Int, name: String, value: Double, requirement: String) throws {
        let weight = 1 / (Double(n) * p)
        try require(p > 0 && p <= 1 && Float(weight).isFinite, name, value, requirement)
    }
}
