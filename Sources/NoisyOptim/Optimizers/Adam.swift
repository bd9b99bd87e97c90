// Adam: Kingma & Ba's adaptive moments, with coupled (Adam) or decoupled (AdamW) weight decay.

/// The chain behind `Adam`: clip → gradient noise → coupled weight decay → Adam scaling →
/// decoupled weight decay (at most one of the two decays is active).
public typealias AdamChain = Chain<Chain<Chain<Chain<ClipGradient, AddGradientNoise>, AddWeightDecay>, ScaleByAdam>, AddWeightDecay>

/// Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", ICLR), bias-corrected,
/// and AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", ICLR):
///
///     d ← clip(g) + N(0, σₜ²I) (+ λθ, Adam's coupled decay)
///     m ← β₁m + (1−β₁)d,  v ← β₂v + (1−β₂)d²,  d ← m̂/(√v̂ + ε)   (t from 0, corrections 1 − βᵗ⁺¹)
///     d ← d + λθ                                                (AdamW's decoupled decay)
///     θ ← θ − lrₜ·d
///
/// AdamW here is θ − lr·(m̂/(√v̂+ε) + λθ), PyTorch's `AdamW` up to rounding (PyTorch first
/// multiplies θ by 1 − lr·λ).
public typealias Adam = ChainOptimizer<AdamChain>

extension ChainOptimizer where Transform == AdamChain {
    /// Adam for parameters laid out as `layout`.
    ///
    /// - Parameters:
    ///   - learningRate: lrₜ ≥ 0 (default 10⁻³).
    ///   - beta1, beta2: the moments' decay rates, in [0, 1).
    ///   - epsilon: ε > 0, added to √v̂.
    ///   - weightDecay: λ ≥ 0.
    ///   - decoupledWeightDecay: AdamW's decay (after the scaling) instead of Adam's L2 term.
    ///   - weightDecayFilter: the segments that decay.
    ///   - gradientNoise: annealed Gaussian noise added after clipping (Neelakantan et al. 2015).
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, learningRate: Schedule = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, weightDecay: Double = 0, decoupledWeightDecay: Bool = false,
                weightDecayFilter: ParameterFilter = .all, maximize: Bool = false,
                clipping: GradientClipping? = nil, gradientNoise: GradientNoise? = nil,
                sampling: (any SamplingScheme)? = nil, samplingSeed: UInt64 = 0,
                nonFiniteGradientPolicy: NonFiniteGradientPolicy = .throwError) throws {
        let transform = Chain(chain(try ClipGradient(clipping),
                                    try AddGradientNoise(gradientNoise),
                                    try AddWeightDecay(decoupledWeightDecay ? 0 : weightDecay, filter: weightDecayFilter),
                                    try ScaleByAdam(beta1: beta1, beta2: beta2, epsilon: epsilon)),
                              try AddWeightDecay(decoupledWeightDecay ? weightDecay : 0, filter: weightDecayFilter))
        try self.init(layout: layout, transform: transform, learningRate: learningRate, maximize: maximize,
                      sampling: sampling, samplingSeed: samplingSeed, nonFiniteGradientPolicy: nonFiniteGradientPolicy)
    }
}
