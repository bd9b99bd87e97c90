// NoiseDiagnosticsAverage: the noise figures averaged over steps, numerator and denominator
// separately, so that the gradient-noise scale is a ratio of averages as McCandlish et al. take it.

/// Running averages of `NoiseDiagnostics` over steps, equally weighted or exponentially decayed:
///
///     Āₖ = Σⱼ βᵏ⁻ʲ·Aⱼ / Σⱼ βᵏ⁻ʲ       for each figure A, over the k steps added (β = 1: the mean)
///     B_simple = tr(Σ)‾ / |G|²‾
///
/// The ratio is taken after averaging: one batch's |G|² estimate can be near 0 or negative, and
/// an average of per-step ratios would be dominated by such steps. The decayed average is
/// bias-corrected by its own weight sum (an exponential average started at 0, divided by 1 − βᵏ).
public struct NoiseDiagnosticsAverage: Sendable, Equatable {
    /// β, how much of the past each new step keeps (1: every step weighs the same).
    public let decay: Double
    /// The number of steps added.
    public private(set) var count = 0
    private var weight = 0.0
    private var squaredGradientNormSum = 0.0, traceOfCovarianceSum = 0.0
    private var samplingSum = 0.0, injectedSum = 0.0

    /// The mean over every step added.
    public init() { decay = 1 }

    /// An exponentially decayed average, β = `decay` ∈ [0, 1).
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the decay otherwise.
    public init(decay: Double) throws {
        try Hyperparameter.require(decay >= 0 && decay < 1, "decay", decay, "0 ≤ decay < 1")
        self.decay = decay
    }

    /// Adds one step's figures.
    public mutating func add(_ diagnostics: NoiseDiagnostics) {
        count += 1
        weight = decay * weight + 1
        squaredGradientNormSum = decay * squaredGradientNormSum + diagnostics.squaredGradientNorm
        traceOfCovarianceSum = decay * traceOfCovarianceSum + diagnostics.traceOfCovariance
        samplingSum = decay * samplingSum + diagnostics.samplingNoiseVariance
        injectedSum = decay * injectedSum + diagnostics.injectedNoiseVariance
    }

    /// The average |G|² estimate (NaN before the first step).
    public var squaredGradientNorm: Double { squaredGradientNormSum / weight }
    /// The average tr(Σ) estimate.
    public var traceOfCovariance: Double { traceOfCovarianceSum / weight }
    /// The average sampling noise w²·b·tr(Σ).
    public var samplingNoiseVariance: Double { samplingSum / weight }
    /// The average injected noise P·σₜ².
    public var injectedNoiseVariance: Double { injectedSum / weight }
    /// B_simple = tr(Σ)‾ / |G|²‾, the ratio of the averages.
    public var gradientNoiseScale: Double { traceOfCovarianceSum / squaredGradientNormSum }
    /// injected‾ / sampling‾.
    public var injectedToSamplingRatio: Double { injectedSum / samplingSum }
}
