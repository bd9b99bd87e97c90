// PosteriorPotential: the objective a Langevin sampler steps with, Ũ(θ) = −log p(θ) − (N/n)·Σᵢ
// log p(xᵢ | θ), built from a per-example negative log-likelihood and the size of the data.

/// The stochastic potential of Welling and Teh (2011) as an `Objective`:
///
///     Ũ_W(θ) = N·Σᵢ Wᵢ ℓᵢ(θ) + R(θ),   ℓᵢ = −log p(xᵢ | θ),   R = −log p(θ) (up to a constant)
///
/// `negativeLogLikelihood` is the objective of the per-example losses ℓᵢ, L_W = Σᵢ Wᵢ ℓᵢ, as the
/// optimizer's sampling scheme weighs them. Every scheme of the library has Σᵢ Wᵢ = 1 (a mini-batch
/// of n gives each of its examples 1/n; `FullBatch` gives each of the N examples 1/N), so N·L_W is
/// the paper's (N/n)·Σ_batch ℓᵢ, an unbiased estimate of the whole data's −log-likelihood, and the
/// full batch gives it exactly. The prior enters once per step, unscaled.
///
/// A Gaussian prior N(0, τ²I) is R = ‖θ‖²/(2τ²): pass it here, or leave `negativeLogPrior` nil and
/// give the sampler `weightDecay: 1/τ²`, which adds the same ∇R = θ/τ² inside the step (and keeps
/// its fused fast path).
///
/// ```swift
/// let nll = objective(in: layout) { tape, weights in              // ℓᵢ = (yᵢ − xᵢᵀθ)²/(2σ²)
///     let rows = tape.constant(x).gatheringRows(weights.indices)
///     let residuals = squaredError(predictions: matmul(rows, tape.parameter(theta)),
///                                  targets: tape.constant(y).gatheringRows(weights.indices), convention: .half)
///     return weightedSum(residuals, weights: weights.weights) * Float(1 / noiseVariance)
/// }
/// let potential = posteriorPotential(exampleCount: n, negativeLogLikelihood: nll)
/// var sgld = try SGLD(layout: layout, stepSize: 1e-4, weightDecay: 1 / priorVariance, seed: 1)
///     .withSampling(SGDSampling(exampleCount: n, batchSize: 32), seed: 2)
/// try sgld.step(&theta, objective: potential)
/// ```
///
/// - Parameters:
///   - exampleCount: N ≥ 1, the number of examples the likelihood is over.
///   - negativeLogLikelihood: (θ, W) ↦ (Σᵢ Wᵢ ℓᵢ(θ), its gradient).
///   - negativeLogPrior: θ ↦ (R(θ), ∇R(θ)), or nil for a flat prior (or one given as weight decay).
/// - Returns: (θ, W) ↦ (Ũ_W(θ), ∇Ũ_W(θ)); the loss it reports is Ũ.
public func posteriorPotential(exampleCount: Int, negativeLogLikelihood: @escaping Objective,
                               negativeLogPrior: ((_ point: Tensor) throws -> (value: Float, gradient: Tensor))? = nil)
    -> Objective {
    check(exampleCount >= 1, "posteriorPotential needs at least one example, got exampleCount = \(exampleCount)")
    let scale = Float(exampleCount)
    return { point, weights in
        let (loss, gradient) = try negativeLogLikelihood(point, weights)
        var potential = loss * scale, total = gradient * scale
        if let negativeLogPrior {
            let prior = try negativeLogPrior(point)
            check(prior.gradient.shape == total.shape,
                  "the prior's gradient has shape \(prior.gradient.shape), the likelihood's \(total.shape)")
            potential += prior.value
            total += prior.gradient
        }
        return (potential, total)
    }
}
