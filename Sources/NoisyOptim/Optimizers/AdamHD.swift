// AdamHD: Adam whose global learning rate follows its hypergradient (Baydin et al. 2018,
// Algorithm 3) — Adam's scaling inside `ScaleByHypergradient`.

/// The rule of `AdamHD`: Adam's bias-corrected direction, scaled by a learned αₜ.
public typealias AdamHDRule = ScaleByHypergradient<ScaleByAdam>

/// Adam-HD (Baydin, Cornish, Martínez Rubio, Schmidt and Wood 2018, "Online Learning Rate
/// Adaptation with Hypergradient Descent", ICLR, Algorithm 3), with Adam as `ScaleByAdam` computes it:
///
///     gₜ = ±∇f(θₜ₋₁)
///     αₜ = max(0, αₜ₋₁ + β·gₜ·dₜ₋₁),   dₜ₋₁ = m̂ₜ₋₁/(√v̂ₜ₋₁ + ε)   (d before the first step = 0)
///     m, v, m̂, v̂ as in `Adam`;   θₜ = θₜ₋₁ − αₜ·m̂ₜ/(√v̂ₜ + ε)
///
/// The hypergradient takes the raw gradient gₜ, not Adam's direction, against the direction the
/// last step moved along. αₜ lives in the state (`state.rule.learningRate`); the chain's own
/// learning rate is 1 (see `ScaleByHypergradient`).
///
/// ```swift
/// var adam = try AdamHD(layout: layout, learningRate: 1e-3, hypergradientLearningRate: 1e-7)
/// ```
public typealias AdamHD = ChainOptimizer<AdamHDRule, Identity>

extension ChainOptimizer where Rule == AdamHDRule, Update == Identity {
    /// Adam-HD for parameters laid out as `layout`.
    ///
    /// - Parameters:
    ///   - learningRate: α₀ ≥ 0, the first step's rate (default 10⁻³, Adam's).
    ///   - hypergradientLearningRate: β ≥ 0 (the paper: 10⁻⁷); 0 is Adam at α₀.
    ///   - beta1, beta2: the moments' decay rates, in [0, 1).
    ///   - epsilon: ε > 0, added to √v̂.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, learningRate: Double = 1e-3, hypergradientLearningRate: Double = 1e-7,
                beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) throws {
        let rule = try ScaleByHypergradient(try ScaleByAdam(beta1: beta1, beta2: beta2, epsilon: epsilon),
                                            initialLearningRate: learningRate,
                                            hypergradientLearningRate: hypergradientLearningRate)
        try self.init(layout: layout, rule: rule, learningRate: 1)
    }
}
