// MultiplicativeSGD: SGD whose every closure step draws its sampling vector W from a scheme —
// SGD with the sampling site set.

/// Multiplicative SGD (Wu, Hu, Xiong, Huan, Braverman and Zhu 2020, "On the noisy gradient descent
/// that generalizes as SGD", ICML): each step draws a sampling vector W from a scheme and descends
/// L_W(θ) = Σᵢ Wᵢ ℓᵢ(θ),
///
///     W ~ scheme,  g = ∇L_W(θ),  then SGD's update (momentum, weight decay as in `SGD`).
///
/// Mini-batch SGD is the scheme W = 1/b on b examples drawn without replacement; Gaussian,
/// Bernoulli and sparse classes change the noise while matching its covariance. W of step t is
/// drawn from a generator keyed by (samplingSeed, t), so a resumed run sees the same W. It is
/// `SGD` with its sampling site set; with momentum, `SGD(…, momentum: μ).withSampling(…)`.
public typealias MultiplicativeSGD = SGD

extension ChainOptimizer where Rule == SGDRule, Update == Identity {
    /// MSGD drawing W from `sampling` with the stream keyed by `samplingSeed`.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, learningRate: some ScheduleConvertible = 1e-3,
                sampling: any SamplingScheme, samplingSeed: UInt64) throws {
        self = try SGD(layout: layout, learningRate: learningRate).withSampling(sampling, seed: samplingSeed)
    }
}
