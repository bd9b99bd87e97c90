// SGLD: stochastic-gradient Langevin dynamics (Welling & Teh 2011) as a short configuration of the
// one optimizer — plain SGD with lr = ε/2 and Langevin parameter noise N(0, 2·lr·T) = N(0, ε·T).

/// Stochastic-gradient Langevin dynamics (Welling and Teh 2011, "Bayesian Learning via Stochastic
/// Gradient Langevin Dynamics", ICML):
///
///     θₜ₊₁ = θₜ − (εₜ/2)·∇Ũ(θₜ) + ηₜ,   ηₜ ~ N(0, εₜ·T·I)
///     Ũ(θ) = −log p(θ) − (N/n)·Σᵢ log p(xᵢ | θ)        (over the step's mini-batch of n)
///
/// For small εₜ (or εₜ → 0 with Σεₜ = ∞, Σεₜ² < ∞, as εₜ = a·(b + t)^−γ with γ ∈ (0.5, 1]
/// gives: `Schedule.inversePower`) the iterates sample exp(−U/T): the posterior at T = 1, a
/// tempered one at other T, and plain SGD at T = 0. The samples carry an O(ε) discretization bias
/// (the paper drops the Metropolis–Hastings correction), plus the mini-batch gradient's noise.
///
/// It is `SGD` with two settings: the learning rate is εₜ/2 (so `learningRate` holds ε/2, not ε)
/// and the parameter-noise site is `ParameterNoise.langevin(temperature: T, seed:)`, whose
/// N(0, 2·lrₜ·T) is then N(0, εₜ·T) in parameter units. Every other site combines with it: mini-
/// batches with `withSampling`, clipping, gradient noise, perturbation. With T = 0 it is, bit for
/// bit, `SGD(layout:learningRate:)` with the halved schedule. Build Ũ with `posteriorPotential`.
///
/// ```swift
/// let potential = posteriorPotential(exampleCount: n, negativeLogLikelihood: nll)
/// var sgld = try SGLD(layout: layout, stepSize: .inversePower(scale: 1e-3, offset: 10, exponent: 0.55),
///                     weightDecay: 1 / priorVariance, seed: 7)
///     .withSampling(SGDSampling(exampleCount: n, batchSize: 32), seed: 8)
/// var average = try PosteriorAverage(count: layout.count, burnIn: 1_000, thinning: 10)
/// for _ in 0..<20_000 {
///     try sgld.step(&theta, objective: potential)
///     average.record(step: sgld.stepCount, parameters: theta)
/// }
/// ```
public typealias SGLD = SGD

extension ChainOptimizer where Rule == SGDRule, Update == Identity {
    /// SGLD for parameters laid out as `layout`.
    ///
    /// - Parameters:
    ///   - stepSize: εₜ ≥ 0, the paper's step size, a number or a `Schedule`; the drift is
    ///     −(εₜ/2)·∇Ũ and the noise N(0, εₜ·T).
    ///   - temperature: T ≥ 0 (1 samples the posterior; 0 is SGD with lr = ε/2).
    ///   - weightDecay: λ ≥ 0, adds λθ to ∇Ũ: a Gaussian prior N(0, I/λ) on the segments
    ///     `weightDecayFilter` selects (0: the prior is in the objective, or flat).
    ///   - seed: the key of the Langevin noise stream.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value (a step size
    ///   that can be negative is reported as `stepSize`).
    public init(layout: ParameterLayout, stepSize: any ScheduleConvertible, temperature: Double = 1,
                weightDecay: Double = 0, weightDecayFilter: ParameterFilter = .all, seed: UInt64) throws {
        let epsilon = stepSize.schedule
        try Hyperparameter.schedule(epsilon, "stepSize", Hyperparameter.nonNegative)
        self = try SGD(layout: layout, learningRate: epsilon.halved(), weightDecay: weightDecay,
                       weightDecayFilter: weightDecayFilter)
            .withParameterNoise(.langevin(temperature: temperature, seed: seed))
    }
}
