// JinPGD: perturbed gradient descent that escapes saddle points (Jin et al. 2017) — gradient
// descent with `PerturbAtSaddles` after the learning rate.

/// Perturbed gradient descent of Jin, Ge, Netrapalli, Kakade and Jordan 2017 ("How to Escape
/// Saddle Points Efficiently", ICML; Algorithm 2 of arXiv:1703.00887 v1), the perturbation rule:
///
///     gₜ = ∇f(θₜ)
///     if ‖gₜ‖ ≤ g_thres and t − t_noise > t_thres:   t_noise ← t,  ξₜ ~ Uniform(B₀(r))   (else ξₜ = 0)
///     θₜ₊₁ = θₜ − η·gₜ + ξₜ
///
/// Started exactly at a strict saddle, where plain GD never moves, the kick puts θ on the
/// unstable manifold's side with probability 1 and gradient descent takes it away. The paper's
/// termination rule (f_thres) is left to the training loop (see `SaddleEscapeConstants`); the kick
/// is on the update of the detecting step (see `PerturbAtSaddles`). Not to be confused with
/// `PerturbedGD` (Orvieto et al.: the gradient taken at θ + ξ every step). Any rule takes the
/// kick with `escapingSaddles(_:)`, every noise site combines with it.
///
/// ```swift
/// var pgd = try JinPGD(layout: layout, learningRate: 0.05,
///                      saddlePerturbation: SaddlePerturbation(radius: 0.01, gradientThreshold: 1e-3,
///                                                             waitSteps: 20, seed: 1))
/// // or from the problem's constants:
/// let constants = try SaddleEscapeConstants(smoothness: 10, hessianLipschitz: 6, epsilon: 0.1, c: 0.5,
///                                           delta: 0.1, functionGap: 1, dimension: layout.count)
/// var derived = try JinPGD(layout: layout, constants: constants, seed: 1)
/// ```
public typealias JinPGD = ChainOptimizer<SGDRule, PerturbAtSaddles>

extension ChainOptimizer where Rule == SGDRule, Update == PerturbAtSaddles {
    /// Jin's perturbed GD with step size `learningRate` (η = c/ℓ in the paper) and the
    /// perturbation rule set directly.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, learningRate: any ScheduleConvertible, saddlePerturbation: SaddlePerturbation) throws {
        self = try SGD(layout: layout, learningRate: learningRate).escapingSaddles(saddlePerturbation)
    }

    /// Jin's perturbed GD with η, r, g_thres and t_thres as Algorithm 2 derives them.
    /// - Throws: `OptimizerError.invalidHyperparameter` if a derived value cannot be used.
    public init(layout: ParameterLayout, constants: SaddleEscapeConstants, seed: UInt64) throws {
        try self.init(layout: layout, learningRate: constants.learningRate, saddlePerturbation: constants.perturbation(seed: seed))
    }
}

extension ChainOptimizer where Update == Identity {
    /// This optimizer with Jin et al.'s saddle perturbation after the learning rate: a step whose
    /// gradient norm is at most g_thres, t_thres steps after the last kick, also adds
    /// ξ ~ Uniform(B₀(r)). Every noise site and the rule's state are kept.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public func escapingSaddles(_ perturbation: SaddlePerturbation) throws -> ChainOptimizer<Rule, PerturbAtSaddles> {
        try withUpdate(try PerturbAtSaddles(perturbation))
    }
}
