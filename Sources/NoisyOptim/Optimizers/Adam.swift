// Adam and AdamW: Kingma & Ba's adaptive moments with coupled (Adam) or decoupled (AdamW) weight
// decay — two rules inside the one optimizer.

/// The rule of `Adam`: coupled weight decay, then Adam's scaling.
public typealias AdamRule = Chain<AddWeightDecay, ScaleByAdam>

/// The rule of `AdamW`: Adam's scaling, then decoupled weight decay.
public typealias AdamWRule = Chain<ScaleByAdam, AddWeightDecay>

/// Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", ICLR), bias-corrected,
/// with PyTorch's `Adam` defaults and its coupled weight decay:
///
///     d ← ±g (+ λθ)
///     m ← β₁m + (1−β₁)d,  v ← β₂v + (1−β₂)d²,  d ← m̂/(√v̂ + ε)   (t from 0, corrections 1 − βᵗ⁺¹)
///     θ ← θ − lrₜ·d
public typealias Adam = ChainOptimizer<AdamRule, Identity>

/// AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", ICLR), with PyTorch's
/// `AdamW` defaults, weight decay 0.01 included:
///
///     m, v, m̂, v̂ as in `Adam`;   θ ← θ − lrₜ·(m̂/(√v̂ + ε) + λθ)
///
/// PyTorch's `AdamW` up to rounding (PyTorch first multiplies θ by 1 − lr·λ).
public typealias AdamW = ChainOptimizer<AdamWRule, Identity>

extension ChainOptimizer where Rule == AdamRule, Update == Identity {
    /// Adam for parameters laid out as `layout`.
    ///
    /// - Parameters:
    ///   - learningRate: lrₜ ≥ 0 (default 10⁻³).
    ///   - beta1, beta2: the moments' decay rates, in [0, 1).
    ///   - epsilon: ε > 0, added to √v̂.
    ///   - weightDecay: λ ≥ 0, added to the gradient as λθ (PyTorch's `Adam(weight_decay:)`).
    ///   - weightDecayFilter: the segments that decay.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, learningRate: some ScheduleConvertible = 1e-3, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0,
                weightDecayFilter: ParameterFilter = .all) throws {
        let rule = Chain(try AddWeightDecay(weightDecay, filter: weightDecayFilter),
                         try ScaleByAdam(beta1: beta1, beta2: beta2, epsilon: epsilon))
        try self.init(layout: layout, rule: rule, learningRate: learningRate)
    }
}

extension ChainOptimizer where Rule == AdamWRule, Update == Identity {
    /// AdamW for parameters laid out as `layout`; the parameters are `Adam`'s, but the decay
    /// λ (default 0.01, as in PyTorch) is applied after the scaling.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, learningRate: some ScheduleConvertible = 1e-3, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0.01,
                weightDecayFilter: ParameterFilter = .all) throws {
        let rule = Chain(try ScaleByAdam(beta1: beta1, beta2: beta2, epsilon: epsilon),
                         try AddWeightDecay(weightDecay, filter: weightDecayFilter))
        try self.init(layout: layout, rule: rule, learningRate: learningRate)
    }
}
