// ChainOptimizer+Options: the noise sites and step options, each defined once for every rule, as
// modifiers that return a reconfigured optimizer.

extension ChainOptimizer {
    /// The chain with new clipping, gradient-noise and parameter-noise links; the rule and the
    /// learning rate stay. The changed links' states start afresh, the others are kept.
    private func rebuilt(clipping: GradientClipping?, gradientNoise: GradientNoise?, parameterNoise: ParameterNoise?,
                         perturbation: Perturbation?) throws -> ChainOptimizer {
        var copy = self
        let clip = try ClipGradient(clipping), noise = try AddGradientNoise(gradientNoise)
        let last = try AddParameterNoise(parameterNoise, perturbation: perturbation)
        copy.transform = Chain(Chain(Chain(Chain(Chain(clip, noise), rule), ScaleByLearningRate()), update), last)
        copy.state.transform.first.first.first.first.first = clip.makeState(for: layout)
        copy.state.transform.first.first.first.first.second = noise.makeState(for: layout)
        copy.state.transform.second = last.makeState(for: layout)
        copy.perturbation = perturbation
        copy.state.perturbationSeed = perturbation?.seed ?? 0
        return copy
    }

    /// Draws the sampling vector W of each closure step from `scheme` (the first noise site),
    /// with the stream keyed by (seed, t). Mini-batch SGD is `SGDSampling`; multiplicative SGD's
    /// classes (Wu et al. 2020) change the noise of W while matching its covariance.
    public func withSampling(_ scheme: any SamplingScheme, seed: UInt64) -> ChainOptimizer {
        var copy = self
        copy.sampling = scheme
        copy.state.samplingSeed = seed
        return copy
    }

    /// Takes each gradient at θ + ξₜ (the second noise site, Orvieto et al. 2023), or moves the
    /// iterate by ξₜ₊₁ − ξₜ when `perturbation.antiCorrelated` (Anti-PGD); nil removes it.
    /// Throws if σ can be negative.
    public func withPerturbation(_ perturbation: Perturbation?) throws -> ChainOptimizer {
        try rebuilt(clipping: clipping, gradientNoise: gradientNoise, parameterNoise: parameterNoise, perturbation: perturbation)
    }

    /// Clips ±g first, by global norm or by value; nil removes clipping. Throws if the threshold
    /// is not a finite value > 0.
    public func withClipping(_ clipping: GradientClipping?) throws -> ChainOptimizer {
        try rebuilt(clipping: clipping, gradientNoise: gradientNoise, parameterNoise: parameterNoise, perturbation: perturbation)
    }

    /// Adds annealed Gaussian noise to the clipped gradient (the third noise site, Neelakantan et
    /// al. 2015); nil removes it. Throws if η can be negative or γ < 0.
    public func withGradientNoise(_ noise: GradientNoise?) throws -> ChainOptimizer {
        try rebuilt(clipping: clipping, gradientNoise: noise, parameterNoise: parameterNoise, perturbation: perturbation)
    }

    /// Adds Gaussian noise to the update after the learning rate, in parameter units (Langevin
    /// dynamics); nil removes it. Throws if its scale can be negative.
    public func withParameterNoise(_ noise: ParameterNoise?) throws -> ChainOptimizer {
        try rebuilt(clipping: clipping, gradientNoise: gradientNoise, parameterNoise: noise, perturbation: perturbation)
    }

    /// Ascends the objective instead (PyTorch's `maximize`): the chain sees −g.
    public func maximizing(_ maximize: Bool = true) -> ChainOptimizer {
        var copy = self
        copy.maximize = maximize
        return copy
    }

    /// What a gradient with NaN or ±∞ does (default `.throwError`); see `NonFiniteGradientPolicy`
    /// for where the check is made.
    public func withNonFiniteGradientPolicy(_ policy: NonFiniteGradientPolicy) -> ChainOptimizer {
        var copy = self
        copy.nonFiniteGradientPolicy = policy
        return copy
    }
}
