// NoiseReport: `--noise-every N` — the noise figures of every N-th step of a run (the gradient-noise
// scale, the batch's sampling noise, the injected noise), measured on the step's own batch at the
// point its gradient is taken, and printed as a table after the run.

import Foundation
import NoisyOptim

/// Measures `NoiseDiagnostics` during a run, every `interval` steps, by wrapping the run's objective:
/// the wrapper sees each step's point and W, and evaluates the per-example objective there too.
/// Nothing is measured on other steps, and nothing at all without the option.
final class NoiseProbe {
    /// Steps between measurements (steps 0, N, 2N, …).
    let interval: Int
    private let perExample: PerExampleObjective
    private let gradientNoise: GradientNoise?
    private let parameterCount: Int
    /// The index of the step the next objective call belongs to (advanced by `callback`).
    var nextStep = 0
    private var lastMeasured = -1
    /// The figures measured so far, in step order.
    private(set) var rows: [NoiseDiagnostics] = []
    /// Why a step could not be measured (W with unequal weights, a batch of one), if one could not.
    private(set) var skipped: String?

    /// A probe for a run of `model` on `training` with the optimizer `settings` describe (N ≥ 1, as parsed).
    init(interval: Int, model: MLP, training: Dataset, settings: OptimizerSettings) {
        self.interval = interval
        self.perExample = model.perExampleObjective(on: training)
        // The optimizer's own noise, as the factory configures it (the same η, γ).
        self.gradientNoise = settings.gradientNoise.map { GradientNoise(eta: $0.eta, gamma: $0.gamma, seed: 0) }
        self.parameterCount = model.layout.count
    }

    /// `objective`, measuring on the steps the interval picks (once per step).
    func wrap(_ objective: @escaping Objective) -> Objective {
        { [self] point, weights in
            let t = nextStep
            if t % interval == 0 && t != lastMeasured {
                lastMeasured = t
                try measure(at: point, weights: weights, step: t)
            }
            return try objective(point, weights)
        }
    }

    /// Keeps `nextStep` with the loop.
    var callback: TrainingCallback {
        { [self] progress in
            if progress.event == .step { nextStep = progress.step }
            return .proceed
        }
    }

    private func measure(at point: Tensor, weights: SampleWeights, step t: Int) throws {
        guard weights.weights.count >= 2, weights.weights.allSatisfy({ $0 == weights.weights[0] }) else {
            skipped = skipped ?? "step \(t): W is not a mini-batch of ≥ 2 equally weighted examples (a multiplicative scheme's W is its own noise)"
            return
        }
        let (_, gradient, rows) = try perExample(point, weights, .squaredNorms)
        let injected = Double(parameterCount) * (gradientNoise?.variance(atStep: t) ?? 0)
        self.rows.append(NoiseDiagnostics(rows, gradient: gradient, step: t, injectedNoiseVariance: injected))
    }

    /// The table: one line per measured step.
    var report: String {
        var lines = ["noise every \(interval) steps (the step's batch, at the point its gradient is taken; B_simple = tr(Σ)/|G|², McCandlish et al. 2018):",
                     "   step        |G|²       tr(Σ)    B_simple  sampling w²b·tr(Σ)  injected P·σₜ²  injected/sampling"]
        for row in rows {
            lines.append(String(format: "%7d  %10.3e  %10.3e  %10.3e  %18.3e  %14.3e  %17.3e", row.step, row.squaredGradientNorm,
                                row.traceOfCovariance, row.gradientNoiseScale, row.samplingNoiseVariance,
                                row.injectedNoiseVariance, row.injectedToSamplingRatio))
        }
        if let skipped { lines.append("not measured: \(skipped)") }
        return lines.joined(separator: "\n")
    }
}
