// SaddlePerturbation: when and how far perturbed gradient descent (Jin et al. 2017) kicks the
// iterate off a point of small gradient, set directly or derived from the problem's constants.

import Foundation

/// The perturbation rule of Jin, Ge, Netrapalli, Kakade and Jordan 2017 ("How to Escape Saddle
/// Points Efficiently", ICML; Algorithm 2, arXiv:1703.00887 v1): at step t,
///
///     if ‖∇f(θₜ)‖ ≤ g_thres and t − t_noise > t_thres:   t_noise ← t,  θ gets ξₜ ~ Uniform(B₀(r))
///
/// with t_noise = −∞ before the first perturbation, so a run that starts at a stationary point
/// is perturbed at once. ξ is uniform in the P-dimensional ball (P = the number of parameters):
/// a normal direction z/‖z‖ scaled by r·U^{1/P}, U ~ Uniform(0, 1], from streams keyed by
/// (seed, t) — a pure function of the seed and the step, so a checkpoint replays it.
public struct SaddlePerturbation: Codable, Sendable, Equatable {
    /// r > 0, the radius of the ball ξ is drawn from, in parameter units.
    public var radius: Double
    /// g_thres ≥ 0: a step whose gradient norm is at most this may be perturbed.
    public var gradientThreshold: Double
    /// t_thres ≥ 0: after a perturbation at step s, the next one can come at step s + t_thres + 1
    /// at the earliest (the paper's t − t_noise > t_thres; a real t_thres is ⌊t_thres⌋ here, the same rule).
    public var waitSteps: Int
    /// The key of the perturbation's streams.
    public var seed: UInt64

    /// The rule with its constants set directly. Validated when an optimizer is built.
    public init(radius: Double, gradientThreshold: Double, waitSteps: Int, seed: UInt64) {
        self.radius = radius
        self.gradientThreshold = gradientThreshold
        self.waitSteps = waitSteps
        self.seed = seed
    }

    /// Throws `OptimizerError.invalidHyperparameter` naming the first value out of its domain.
    func validate() throws {
        try Hyperparameter.positive(radius, "radius")
        try Hyperparameter.nonNegative(gradientThreshold, "gradientThreshold")
        try Hyperparameter.require(waitSteps >= 0, "waitSteps", Double(waitSteps), "an integer ≥ 0")
    }

    private enum CodingKeys: String, CodingKey { case radius, gradientThreshold, waitSteps, seed }

    /// Decodes the rule and validates it as an optimizer would.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(radius: try container.decode(Double.self, forKey: .radius),
                  gradientThreshold: try container.decode(Double.self, forKey: .gradientThreshold),
                  waitSteps: try container.decode(Int.self, forKey: .waitSteps),
                  seed: try container.decode(UInt64.self, forKey: .seed))
        try validate()
    }
}

/// The constants of perturbed gradient descent derived from the problem, as Algorithm 2 of Jin
/// et al. 2017 (arXiv:1703.00887 v1) sets them, for an ℓ-smooth, ρ-Hessian-Lipschitz f on ℝᵈ
/// with f(θ₀) − f* ≤ Δf, a target ε and a failure probability δ:
///
///     χ = 3·max{ln(d·ℓ·Δf / (c·ε²·δ)), 4}
///     η = c/ℓ,   r = (√c/χ²)·(ε/ℓ),   g_thres = (√c/χ²)·ε
///     f_thres = (c/χ³)·√(ε³/ρ),   t_thres = (χ/c²)·(ℓ/√(ρε))
///
/// f_thres belongs to the paper's termination rule (return the point from before the last
/// perturbation if f fell by less than f_thres within t_thres steps of it), which needs function
/// values and a rollback: a training loop's decision, so it is given here for such a loop and
/// not applied by the optimizer.
public struct SaddleEscapeConstants: Sendable, Equatable {
    /// χ.
    public let chi: Double
    /// η = c/ℓ, the learning rate.
    public let learningRate: Double
    /// r.
    public let radius: Double
    /// g_thres.
    public let gradientThreshold: Double
    /// f_thres, for a termination check outside the optimizer.
    public let functionThreshold: Double
    /// t_thres, real-valued as the paper gives it.
    public let waitSteps: Double

    /// The constants for the problem's ℓ > 0, ρ > 0, ε > 0, c > 0 (the paper's absolute
    /// constant), δ ∈ (0, 1), Δf > 0 and dimension d ≥ 1.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value, or a derived
    ///   value a Float32 step cannot use (r or g_thres underflowing, t_thres past 2⁵³).
    public init(smoothness ell: Double, hessianLipschitz rho: Double, epsilon: Double, c: Double,
                delta: Double, functionGap: Double, dimension: Int) throws {
        try Hyperparameter.positive(ell, "smoothness")
        try Hyperparameter.positive(rho, "hessianLipschitz")
        try Hyperparameter.positive(epsilon, "epsilon")
        try Hyperparameter.positive(c, "c")
        try Hyperparameter.require(delta > 0 && delta < 1, "delta", delta, "0 < δ < 1")
        try Hyperparameter.positive(functionGap, "functionGap")
        try Hyperparameter.require(dimension >= 1, "dimension", Double(dimension), "d ≥ 1")
        let chi = 3 * max(log(Double(dimension) * ell * functionGap / (c * epsilon * epsilon * delta)), 4)
        self.chi = chi
        learningRate = c / ell
        radius = c.squareRoot() / (chi * chi) * (epsilon / ell)
        gradientThreshold = c.squareRoot() / (chi * chi) * epsilon
        functionThreshold = c / (chi * chi * chi) * (epsilon * epsilon * epsilon / rho).squareRoot()
        waitSteps = chi / (c * c) * (ell / (rho * epsilon).squareRoot())
        try Hyperparameter.nonNegative(learningRate, "learningRate (c/ℓ)")
        try Hyperparameter.positive(radius, "radius (√c/χ²·ε/ℓ)")
        try Hyperparameter.positive(gradientThreshold, "gradientThreshold (√c/χ²·ε)")
        try Hyperparameter.require(waitSteps < 0x1p53, "waitSteps (χ/c²·ℓ/√(ρε))", waitSteps, "t_thres < 2⁵³")
    }

    /// The perturbation rule with these r, g_thres and t_thres (⌊t_thres⌋ steps: t − t_noise >
    /// t_thres holds for integers exactly when t − t_noise > ⌊t_thres⌋).
    public func perturbation(seed: UInt64) -> SaddlePerturbation {
        SaddlePerturbation(radius: radius, gradientThreshold: gradientThreshold, waitSteps: Int(waitSteps.rounded(.down)),
                           seed: seed)
    }
}
