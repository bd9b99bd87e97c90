// ChainOptimizer+Privacy: DP-SGD as one modifier of the one optimizer — Poisson sampling at the
// first noise site, per-example clipping and Gaussian noise at the third — and its step, which
// asks the objective for the clipped sum instead of the gradient.

extension ChainOptimizer {
    /// Makes every step DP-SGD's (Abadi et al. 2016; see `DifferentialPrivacy`): a Poisson batch,
    /// each example's gradient clipped to norm C, the sum plus N(0, σ²C²·I), divided by qN, then
    /// this optimizer's chain as usual — clipping, gradient noise, the rule (SGD, momentum, Adam, …),
    /// the learning rate, parameter noise:
    ///
    ///     g̃ = (Σ_{i∈Bₜ} min(1, C/‖∇ℓᵢ‖)·∇ℓᵢ + σC·zₜ) / (qN),   θ ← θ + chain(g̃)
    ///
    /// Steps go through `step(_:perExampleObjective:)`. The sampling site becomes the Poisson
    /// sampling (`privacy.sampling`) with `privacy.seed` as the sampling seed, which the state
    /// records, so a restored checkpoint draws the same batches and noise; nil removes privacy and
    /// its sampling. The other sites compose: whatever runs after the noise (global-norm
    /// clipping of g̃, momentum, parameter noise) is post-processing and costs no privacy; a
    /// perturbation moves the point the per-example gradients are taken at, and each is still
    /// clipped there.
    ///
    /// ```swift
    /// var adam = try Adam(layout: model.layout, learningRate: 1e-3)
    ///     .withPrivacy(DifferentialPrivacy(exampleCount: n, expectedBatchSize: 256, clippingNorm: 1,
    ///                                      noiseMultiplier: 1.1, seed: 7))
    /// try adam.step(&theta, perExampleObjective: model.perExampleObjective(inputs: x, labels: y))
    /// ```
    ///
    /// One configuration rather than a `DPSGD` type: privacy is a property of how the gradient is
    /// formed, not of the rule, so every rule gets it once, like the other noise sites.
    public func withPrivacy(_ privacy: DifferentialPrivacy?) -> ChainOptimizer {
        var copy = self
        copy.privacy = privacy
        copy.sampling = privacy?.sampling
        copy.state.samplingSeed = privacy?.seed ?? 0
        return copy
    }

    /// One DP-SGD step: draws step t's Poisson batch (W = 1/(qN) on each example kept, keyed by
    /// the sampling seed and t), asks `objective` for the clipped sum
    /// Σᵢ Wᵢ·min(1, C/‖∇ℓᵢ‖)·∇ℓᵢ at θ (or θ + ξ under a perturbation), adds σC/(qN)·z with z
    /// keyed by (seed, t), and takes `step(_:gradient:)` with the result. The report's loss is
    /// Σᵢ Wᵢℓᵢ of the batch (0 for an empty one; it is not private).
    ///
    /// The noise is added even when the batch is empty, as the accountant assumes. Results depend
    /// on (seed, t) only: not on the thread count, nor on whether the run was restored. A step
    /// refused for a non-finite gradient (`skipStep`) leaves t, so a retry draws the same batch and
    /// noise. Only the examples of the batch are evaluated; neither the B × P matrix of
    /// per-example gradients nor the unclipped gradient is formed
    /// (`PerExampleRequest.clipped(toNorm:includesGradient: false)`), so the step costs a plain
    /// step plus the per-example norms and the noise. The finiteness check of g̃ is made block by
    /// block as the noise is added, while each block is in L1 (g̃ is then flagged as known finite),
    /// so `step(_:gradient:)` does not read g̃ again for it; a non-finite g̃ is refused as always.
    @discardableResult
    public mutating func step(_ parameters: inout Tensor, perExampleObjective objective: PerExampleObjective) throws -> StepReport {
        guard let privacy else {
            fail("step(_:perExampleObjective:) is DP-SGD's step: configure it with withPrivacy(_:) first")
        }
        check((sampling as? BernoulliSampling) == privacy.sampling,
              "withSampling after withPrivacy replaced DP-SGD's Poisson sampling; set the privacy last")
        let n = layout.count
        check(parameters.shape == [n], "parameters have shape \(parameters.shape), the layout has \(n) scalars")
        let weights = sampleWeights()
        let result = try objective(perturbedPoint(parameters), weights, .clipped(toNorm: Float(privacy.clippingNorm), includesGradient: false))
        guard let clipped = result.perExample.clippedGradient else {
            fail("the per-example objective ignored the request for a clipped sum (clippedGradient is nil)")
        }
        check(clipped.shape == [n], "the clipped sum has shape \(clipped.shape), the layout has \(n) scalars")

        if privateGradient.shape != [n] { privateGradient = Tensor.zeros([n]) }
        let sigma = Float(privacy.noiseStandardDeviation)
        let stepKey = privacy.noise(seed: state.samplingSeed).stepKey(state.step)
        let allFinite = privateGradient.withUnsafeMutableBufferPointer { out in
            clipped.withUnsafeBufferPointer {
                RandomStream.copyAddingNormal(from: $0.baseAddress!, to: out.baseAddress!, count: n, standardDeviation: sigma,
                                              stepKey: stepKey)
            }
        }
        // Checked block by block as the noise was added: the step need not read g̃ again.
        privateGradient.storage.knownFinite = allFinite
        var report = try step(&parameters, gradient: privateGradient)
        report.loss = result.loss
        return report
    }
}
