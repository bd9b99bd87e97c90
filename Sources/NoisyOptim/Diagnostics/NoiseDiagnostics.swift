// NoiseDiagnostics: which noise dominates a step — the mini-batch's sampling noise, read off the
// per-example gradients, or the Gaussian noise the gradient-noise site injects — with the
// gradient-noise scale of McCandlish et al. 2018. Computed only when asked: nothing in a step.

import Foundation

/// The noise figures of step t, in the units of the gradient g the optimizer receives, for a
/// batch of b examples of equal weight w (g = w·Σᵣ∇ℓᵣ; w = 1/b for the mean):
///
///     |G|², tr(Σ)               unbiased estimates from the b per-example gradients
///     B_simple = tr(Σ)/|G|²     the gradient-noise scale (McCandlish, Kaplan, Amodei et al. 2018,
///                               "An Empirical Model of Large-Batch Training", arXiv:1812.06162)
///     sampling = w²·b·tr(Σ)     E‖g − E[g]‖² over batches (tr(Σ)/b for the mean)
///     injected = P·σₜ²          E‖ξ‖² of the gradient-noise site's ξ ~ N(0, σₜ²I), σₜ² = ηₜ/(1 + t)^γ
///
/// Σ is the covariance of one example's gradient ∇ℓ (drawn as the batch draws it) and G its mean,
/// so `sampling` is the variance of a batch of independent draws; for batches drawn without
/// replacement from n examples it is smaller by (n − b)/(n − 1), and 0 for the full batch. The
/// figures are of the gradient before clipping. A single batch gives a noisy B_simple;
/// `NoiseDiagnosticsAverage` averages |G|² and tr(Σ) over steps before dividing, as the paper does.
///
/// ```swift
/// let f = model.perExampleObjective(on: training)
/// let w = SampleWeights.batch(batch, exampleCount: training.count)
/// let (_, gradient, perExample) = try f(parameters, w, .squaredNorms)   // no B × P matrix needed
/// let noise = optimizer.noiseDiagnostics(perExample, gradient: gradient) // before the step
/// try optimizer.step(&parameters, gradient: gradient)
/// print(noise.gradientNoiseScale, noise.samplingNoiseVariance, noise.injectedNoiseVariance)
/// ```
public struct NoiseDiagnostics: Sendable, Equatable {
    /// t, the step the gradient is for.
    public var step: Int
    /// b, the number of per-example gradients (the batch).
    public var batchSize: Int
    /// w, the weight of each example in g = w·Σᵣ∇ℓᵣ (1/b for the mean).
    public var exampleWeight: Double
    /// The unbiased estimate of |G|², the squared norm of the mean gradient.
    public var squaredGradientNorm: Double
    /// The unbiased estimate of tr(Σ), the trace of one example's gradient covariance.
    public var traceOfCovariance: Double
    /// P·σₜ², the expected squared norm of the injected gradient noise (0 without any).
    public var injectedNoiseVariance: Double

    /// B_simple = tr(Σ)/|G|²: the batch size at which the sampling noise of the mean gradient is as
    /// large as the gradient itself (McCandlish et al. 2018).
    public var gradientNoiseScale: Double { traceOfCovariance / squaredGradientNorm }

    /// w²·b·tr(Σ) = E‖g − E[g]‖², the sampling noise of the gradient the optimizer receives
    /// (tr(Σ)/b when g is the batch mean).
    public var samplingNoiseVariance: Double { exampleWeight * exampleWeight * Double(batchSize) * traceOfCovariance }

    /// injected / sampling: above 1 the injected noise dominates the step.
    public var injectedToSamplingRatio: Double { injectedNoiseVariance / samplingNoiseVariance }

    /// The figures as given (for averages and for figures computed elsewhere).
    public init(step: Int, batchSize: Int, exampleWeight: Double, squaredGradientNorm: Double, traceOfCovariance: Double,
                injectedNoiseVariance: Double) {
        self.step = step
        self.batchSize = batchSize
        self.exampleWeight = exampleWeight
        self.squaredGradientNorm = squaredGradientNorm
        self.traceOfCovariance = traceOfCovariance
        self.injectedNoiseVariance = injectedNoiseVariance
    }

    /// The figures of step `step` from the per-example gradients of its batch and the gradient g
    /// of the same evaluation, with the injected noise's P·σₜ² given.
    ///
    /// With b rows of weight w, ḡ = g/(w·b) and S = (1/b)·Σᵣ‖∇ℓᵣ‖² (from `squaredNorms`, so no
    /// matrix is needed), the estimates are those of `PerExampleGradients.gradientNoiseEstimates`:
    ///
    ///     |G|² ≈ (b‖ḡ‖² − S)/(b − 1),    tr(Σ) ≈ (S − ‖ḡ‖²)·b/(b − 1)
    ///
    /// Stops unless there are b ≥ 2 rows of one weight (a mini-batch mean or sum; a multiplicative
    /// scheme's unequal W is its own noise, not a batch's) and g is a flat vector.
    public init(_ perExample: PerExampleGradients, gradient: Tensor, step: Int, injectedNoiseVariance: Double) {
        let b = perExample.count
        check(b >= 2, "NoiseDiagnostics needs at least 2 per-example gradients to estimate a covariance, there are \(b)")
        check(gradient.rank == 1, "NoiseDiagnostics: the gradient must be a flat vector, its shape is \(gradient.shape)")
        let w = perExample.weights[0]
        if let other = perExample.weights.first(where: { $0 != w }) {
            fail("NoiseDiagnostics needs examples of one weight (a mini-batch), got weights \(w) and \(other)")
        }
        // ‖ḡ‖² = ‖g‖²/(w·b)², without forming ḡ.
        let scale = Double(w) * Double(b)
        let meanSquared = Kernels.dot(gradient.storage.pointer, gradient.storage.pointer, count: gradient.count) / (scale * scale)
        let (squaredGradientNorm, trace) = PerExampleGradients.noiseEstimates(meanSquared: meanSquared,
                                                                               squaredNorms: perExample.squaredNorms)
        self.init(step: step, batchSize: b, exampleWeight: Double(w), squaredGradientNorm: squaredGradientNorm,
                  traceOfCovariance: trace, injectedNoiseVariance: injectedNoiseVariance)
    }
}

extension GradientNoise {
    /// σₜ² = ηₜ/(1 + t)^γ, in Double (the step adds N(0, σₜ²) with σₜ = √σₜ² rounded once to Float).
    public func variance(atStep t: Int) -> Double {
        eta.value(at: t) / pow(Double(1 + t), gamma)
    }
}

extension ChainOptimizer {
    /// P·σₜ², the expected squared norm of the noise the gradient-noise site adds at step t, over
    /// the P = `layout.count` parameters; 0 without a gradient-noise site.
    public func injectedGradientNoiseVariance(atStep t: Int) -> Double {
        guard let gradientNoise else { return 0 }
        return Double(layout.count) * gradientNoise.variance(atStep: t)
    }

    /// The noise figures of step t (default `stepCount`, the step about to be taken: call it
    /// before `step`) from the per-example gradients of its batch and the gradient of the same
    /// evaluation, with this optimizer's injected noise. Costs one read of the gradient and of
    /// the b squared norms; nothing is computed unless asked.
    public func noiseDiagnostics(_ perExample: PerExampleGradients, gradient: Tensor, atStep t: Int? = nil) -> NoiseDiagnostics {
        let t = t ?? stepCount
        check(gradient.count == layout.count,
              "noiseDiagnostics: the gradient has \(gradient.count) scalars, the optimizer's layout \(layout.count)")
        return NoiseDiagnostics(perExample, gradient: gradient, step: t, injectedNoiseVariance: injectedGradientNoiseVariance(atStep: t))
    }
}
