// SGDHD: stochastic gradient descent whose learning rate follows its hypergradient (Baydin et al.
// 2018, Algorithm 1) — the identity rule inside `ScaleByHypergradient`.

/// The rule of `SGDHD`: the direction as it is, scaled by a learned αₜ.
public typealias SGDHDRule = ScaleByHypergradient<Identity>

/// SGD-HD (Baydin, Cornish, Martínez Rubio, Schmidt and Wood 2018, "Online Learning Rate
/// Adaptation with Hypergradient Descent", ICLR, Algorithm 1):
///
///     gₜ = ±∇f(θₜ₋₁) (clipped, noised, at the sites set by modifiers: dₜ)
///     αₜ = max(0, αₜ₋₁ + β·gₜ·dₜ₋₁)          (d before the first step = 0, so α of step 1 is α₀)
///     θₜ = θₜ₋₁ − αₜ·dₜ
///
/// αₜ lives in the state (`state.rule.learningRate`) and resumes with a checkpoint; the chain's
/// own learning rate is 1 (see `ScaleByHypergradient`).
///
/// ```swift
/// var sgd = try SGDHD(layout: layout, learningRate: 1e-3, hypergradientLearningRate: 1e-3)
/// try sgd.step(&parameters, gradient: gradient)
/// print(sgd.state.rule.learningRate)      // the learned αₜ
/// ```
public typealias SGDHD = ChainOptimizer<SGDHDRule, Identity>

extension ChainOptimizer where Rule == SGDHDRule, Update == Identity {
    /// SGD-HD for parameters laid out as `layout`.
    ///
    /// - Parameters:
    ///   - learningRate: α₀ ≥ 0, the first step's rate (the paper's experiments: 10⁻³).
    ///   - hypergradientLearningRate: β ≥ 0 (the paper: 10⁻³); 0 is plain SGD at α₀.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, learningRate: Double = 1e-3, hypergradientLearningRate: Double = 1e-3) throws {
        let rule = try ScaleByHypergradient(Identity(), initialLearningRate: learningRate,
                                            hypergradientLearningRate: hypergradientLearningRate)
        try self.init(layout: layout, rule: rule, learningRate: 1)
    }
}
