// SGD: stochastic gradient descent with PyTorch's momentum, dampening, Nesterov, coupled weight
// decay and maximize — a fixed chain of transforms.

/// The chain behind `SGD`: clip → gradient noise → weight decay → momentum.
public typealias SGDChain = Chain<Chain<Chain<ClipGradient, AddGradientNoise>, AddWeightDecay>, Momentum>

/// Stochastic gradient descent with momentum, in PyTorch's convention so hyperparameters port:
///
///     d ← clip(g) + N(0, σₜ²I),  σₜ² = η/(1 + t)^γ          (optional gradient noise)
///     d ← d + λθ                                    (coupled weight decay, on `weightDecayFilter`)
///     v₁ = d,  vₜ = μvₜ₋₁ + (1 − τ)d;  d ← v or d + μv (Nesterov)
///     θ ← θ − lrₜ·d
///
/// Noisy SGD (Neelakantan et al. 2015) is `SGD` with `gradientNoise`, and multiplicative SGD
/// (Wu et al. 2020) is `SGD` with a `sampling` scheme (see `MultiplicativeSGD`); all noise
/// sites can be combined.
///
/// ```swift
/// var sgd = try SGD(layout: layout, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4,
///                   weightDecayFilter: .excludingBiases,
///                   gradientNoise: GradientNoise(eta: 0.3, seed: 42))
/// try sgd.step(&parameters, gradient: gradient)
/// ```
public typealias SGD = ChainOptimizer<SGDChain>

extension ChainOptimizer where Transform == SGDChain {
    /// SGD for parameters laid out as `layout`.
    ///
    /// - Parameters:
    ///   - learningRate: lrₜ ≥ 0, a number or a `Schedule`.
    ///   - momentum: μ ∈ [0, 1); 0 is plain SGD (no velocity buffer).
    ///   - dampening: τ ∈ [0, 1], PyTorch's `dampening`.
    ///   - nesterov: Nesterov momentum; requires μ > 0 and τ = 0.
    ///   - weightDecay: λ ≥ 0, added to the gradient as λθ (L2 regularization, coupled).
    ///   - weightDecayFilter: the segments that decay, e.g. `.excludingBiases`.
    ///   - maximize: ascend the objective.
    ///   - clipping: clip the gradient first, by global norm or by value.
    ///   - gradientNoise: annealed Gaussian noise added after clipping (nil: none).
    ///   - sampling: the scheme that draws W for closure steps (nil: a deterministic objective).
    ///   - samplingSeed: the key of the sampling stream.
    ///   - nonFiniteGradientPolicy: what a NaN or ±∞ in the gradient does.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, learningRate: Schedule, momentum: Double = 0, dampening: Double = 0,
                nesterov: Bool = false, weightDecay: Double = 0, weightDecayFilter: ParameterFilter = .all,
                maximize: Bool = false, clipping: GradientClipping? = nil, gradientNoise: GradientNoise? = nil,
                sampling: (any SamplingScheme)? = nil, samplingSeed: UInt64 = 0,
                nonFiniteGradientPolicy: NonFiniteGradientPolicy = .throwError) throws {
        let transform = chain(try ClipGradient(clipping),
                              try AddGradientNoise(gradientNoise),
                              try AddWeightDecay(weightDecay, filter: weightDecayFilter),
                              try Momentum(momentum, dampening: dampening, nesterov: nesterov))
        try self.init(layout: layout, transform: transform, learningRate: learningRate, maximize: maximize,
                      sampling: sampling, samplingSeed: samplingSeed, nonFiniteGradientPolicy: nonFiniteGradientPolicy)
    }
}
