// MultiplicativeSGD: SGD whose every closure step draws its sampling vector W from a scheme.

/// Multiplicative SGD (Wu, Hu, Xiong, Huan, Braverman and Zhu 2020, "On the noisy gradient descent
/// that generalizes as SGD", ICML): each step draws a sampling vector W from `sampling` and
/// descends L_W(θ) = Σᵢ Wᵢ ℓᵢ(θ),
///
///     W ~ scheme,  g = ∇L_W(θ),  then SGD's update (momentum, weight decay as in `SGD`).
///
/// Mini-batch SGD is the scheme W = 1/b on b examples drawn without replacement; Gaussian,
/// Bernoulli and sparse classes change the noise while matching its covariance. W of step t is
/// drawn from a generator keyed by (samplingSeed, t), so a resumed run sees the same W.
public struct MultiplicativeSGD: Optimizer {
    /// The SGD that takes the steps; its `sampling` is the scheme.
    public private(set) var sgd: SGD

    /// MSGD drawing W from `sampling` with the stream keyed by `samplingSeed`; the other
    /// parameters are `SGD`'s. Stops if `sampling.exampleCount` is not positive.
    public init(layout: ParameterLayout, learningRate: Schedule, sampling: any SamplingScheme, samplingSeed: UInt64,
                momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false, weightDecay: Double = 0,
                weightDecayFilter: ParameterFilter = .all, clipping: GradientClipping? = nil,
                gradientNoise: GradientNoise? = nil,
                nonFiniteGradientPolicy: NonFiniteGradientPolicy = .throwError) throws {
        check(sampling.exampleCount > 0, "a sampling scheme needs examples, got \(sampling.exampleCount)")
        sgd = try SGD(layout: layout, learningRate: learningRate, momentum: momentum, dampening: dampening,
                      nesterov: nesterov, weightDecay: weightDecay, weightDecayFilter: weightDecayFilter,
                      clipping: clipping, gradientNoise: gradientNoise, sampling: sampling, samplingSeed: samplingSeed,
                      nonFiniteGradientPolicy: nonFiniteGradientPolicy)
    }

    /// The scheme W is drawn from.
    public var sampling: any SamplingScheme { sgd.sampling! }

    public var layout: ParameterLayout { sgd.layout }

    public var state: SGD.State {
        get { sgd.state }
        set { sgd.state = newValue }
    }

    public var stepCount: Int { sgd.stepCount }

    /// The W the next closure step will use.
    public func sampleWeights() -> SampleWeights { sgd.sampleWeights() }

    /// A step with a gradient the caller computed (for W = `sampleWeights()`, to stay MSGD).
    @discardableResult
    public mutating func step(_ parameters: inout Tensor, gradient: Tensor) throws -> StepReport {
        try sgd.step(&parameters, gradient: gradient)
    }

    /// Draws W, evaluates `objective` at θ for it and applies the step.
    @discardableResult
    public mutating func step(_ parameters: inout Tensor, objective: Objective) throws -> StepReport {
        try sgd.step(&parameters, objective: objective)
    }
}
