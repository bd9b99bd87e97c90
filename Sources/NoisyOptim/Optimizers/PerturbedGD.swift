// PerturbedGD: gradient descent with the gradient taken at a perturbed point (Orvieto et al. 2023)
// and its anti-correlated twin (Orvieto et al. 2022) — SGD with the perturbation site set.

/// Perturbed gradient descent (Orvieto, Raj, Kersting and Bach 2023, "Explicit Regularization in
/// Overparametrized Models via Noise Injection", AISTATS): the gradient is evaluated at θ + ξ and
/// the step applied to θ,
///
///     ξₜ ~ N(0, σₜ²/L) on all L segments, or N(0, σₜ²) on segment t mod L (see `Perturbation.Mode`)
///     θₜ₊₁ = θₜ − lrₜ·∇L(θₜ + ξₜ)
///
/// and, with `antiCorrelated`, Anti-PGD (Orvieto, Kersting, Proske, Bach and Lucchi 2022,
/// "Anticorrelated Noise Injection for Improved Generalization", ICML):
/// θₜ₊₁ = θₜ − lrₜ·∇L(θₜ) + (ξₜ₊₁ − ξₜ). It is `SGD` with its perturbation site set, so momentum,
/// weight decay, clipping and the other noise sites combine with it, and any rule (Adam too) takes
/// a perturbation with `withPerturbation(_:)`.
///
/// ```swift
/// var pgd = try PerturbedGD(layout: layout, learningRate: 0.05,
///                           perturbation: Perturbation(sigma: 0.05, mode: .layerWise, seed: 1))
/// ```
public typealias PerturbedGD = SGD

extension ChainOptimizer where Rule == SGDRule, Update == Identity {
    /// Perturbed GD (or Anti-PGD) without momentum: `SGD(layout:learningRate:)` with `perturbation`.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, learningRate: some ScheduleConvertible = 1e-3, perturbation: Perturbation) throws {
        self = try SGD(layout: layout, learningRate: learningRate).withPerturbation(perturbation)
    }
}
