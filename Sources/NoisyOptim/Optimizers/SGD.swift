// SGD: stochastic gradient descent with PyTorch's momentum, dampening, Nesterov and coupled
// weight decay — the rule weight decay → momentum inside the one optimizer.

/// The rule of `SGD`: coupled weight decay, then momentum.
public typealias SGDRule = Chain<AddWeightDecay, Momentum>

/// Stochastic gradient descent with momentum, in PyTorch's convention so hyperparameters port:
///
///     d ← ±g (clipped, noised, at the sites set by modifiers)
///     d ← d + λθ                                    (coupled weight decay, on `weightDecayFilter`)
///     v₁ = d,  vₜ = μvₜ₋₁ + (1 − τ)d;  d ← v or d + μv (Nesterov)
///     θ ← θ − lrₜ·d
///
/// Noisy SGD (Neelakantan et al. 2015) is `SGD(…).withGradientNoise(…)`, multiplicative SGD
/// (Wu et al. 2020) `SGD(…).withSampling(…)` (see `MultiplicativeSGD`), perturbed GD (Orvieto et
/// al. 2023) `SGD(…).withPerturbation(…)` (see `PerturbedGD`); every site combines with every other.
///
/// ```swift
/// var sgd = try SGD(layout: layout, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4,
///                   weightDecayFilter: .excludingBiases)
///     .withGradientNoise(GradientNoise(eta: 0.3, seed: 42))
/// try sgd.step(&parameters, gradient: gradient)
/// ```
public typealias SGD = ChainOptimizer<SGDRule, Identity>

extension ChainOptimizer where Rule == SGDRule, Update == Identity {
    /// SGD for parameters laid out as `layout`.
    ///
    /// - Parameters:
    ///   - learningRate: lrₜ ≥ 0, a number or a `Schedule` (PyTorch's default 10⁻³).
    ///   - momentum: μ ∈ [0, 1); 0 is plain SGD (no velocity buffer).
    ///   - dampening: τ ∈ [0, 1], PyTorch's `dampening`.
    ///   - nesterov: Nesterov momentum; requires μ > 0 and τ = 0.
    ///   - weightDecay: λ ≥ 0, added to the gradient as λθ (L2 regularization, coupled).
    ///   - weightDecayFilter: the segments that decay, e.g. `.excludingBiases`.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, learningRate: some ScheduleConvertible = 1e-3, momentum: Double = 0,
                dampening: Double = 0, nesterov: Bool = false, weightDecay: Double = 0,
                weightDecayFilter: ParameterFilter = .all) throws {
        let rule = Chain(try AddWeightDecay(weightDecay, filter: weightDecayFilter),
                         try Momentum(momentum, dampening: dampening, nesterov: nesterov))
        try self.init(layout: layout, rule: rule, learningRate: learningRate)
    }
}
