// AddGradientNoise: annealed Gaussian gradient noise (Neelakantan et al. 2015), generated block by
// block into the L1-resident direction and never materialized as a full-size buffer.

import Foundation

/// The annealed noise of Neelakantan et al. 2015: g ← g + N(0, σₜ²I) with σₜ² = η / (1 + t)^γ.
public struct GradientNoise: Codable, Sendable {
    /// η ≥ 0, a number or a schedule of the step (σₜ² = ηₜ / (1 + t)^γ). The paper searched
    /// η ∈ {0.01, 0.3, 1.0}.
    public var eta: Schedule
    /// γ ≥ 0; the paper fixes γ = 0.55.
    public var gamma: Double
    /// The key of the noise stream.
    public var seed: UInt64

    /// σₜ² = η/(1 + t)^γ with the stream keyed by `seed`. Validated when an optimizer is built.
    public init(eta: any ScheduleConvertible, gamma: Double = 0.55, seed: UInt64) {
        self.eta = eta.schedule
        self.gamma = gamma
        self.seed = seed
    }

    private enum CodingKeys: String, CodingKey { case eta, gamma, seed }

    /// Decodes the configuration and validates it as an optimizer would: throws
    /// `OptimizerError.invalidHyperparameter` naming η or γ if it is out of its domain.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(eta: try container.decode(Schedule.self, forKey: .eta),
                  gamma: try container.decode(Double.self, forKey: .gamma),
                  seed: try container.decode(UInt64.self, forKey: .seed))
        _ = try AddGradientNoise(self)
    }
}

/// Adds annealed Gaussian noise to the direction (Neelakantan, Vilnis, Le, Sutskever, Kaiser,
/// Kurach and Martens 2015, "Adding Gradient Noise Improves Learning for Very Deep Networks",
/// arXiv:1511.06807):
///
///     g ← g + N(0, σₜ²I),   σₜ² = η / (1 + t)^γ,   t = 0, 1, 2, …
///
/// The paper uses γ = 0.55 and picks η from {0.01, 0.3, 1.0} per task; the noise enters after
/// gradient clipping and before the optimizer proper (SGD, momentum or Adam alike), as here.
///
/// The noise at position i of step t is normal i mod 2048 of `Philox4x32(seed: mix(key(seed, t), ⌊i/2048⌋))`
/// (see `RandomStream`): it depends on (seed, t, position) only, so runs replay bit for bit across
/// thread counts and checkpoints, and a step whose σₜ is 0 adds nothing and draws nothing —
/// with η = 0 the optimizer equals its noiseless twin bit for bit.
public struct AddGradientNoise: GradientTransform {
    /// The configuration, or nil for no noise.
    public let noise: GradientNoise?

    /// Noise as `noise` says; nil adds nothing. Throws if η can be negative or γ < 0.
    public init(_ noise: GradientNoise?) throws {
        if let noise {
            try Hyperparameter.schedule(noise.eta, "eta", Hyperparameter.nonNegative)
            try Hyperparameter.nonNegativeExponent(noise.gamma, "gamma")
        }
        self.noise = noise
    }

    /// σₜ = √(ηₜ / (1 + t)^γ), computed in Double and rounded once to Float.
    public func standardDeviation(at t: Int) -> Float {
        guard let noise else { return 0 }
        let eta = noise.eta.value(at: t)
        check(eta >= 0 && eta <= Hyperparameter.largest, "the η schedule gave \(eta) at step \(t); it must be in 0...\(Hyperparameter.largest)")
        return Float((eta / pow(Double(1 + t), noise.gamma)).squareRoot())
    }

    public static var stateKey: String { "gradientNoise" }

    /// The key of the noise stream (the step index comes from the optimizer's step count).
    public struct State: Codable, Sendable, Equatable {
        /// The key of the stream.
        public var seed: UInt64
    }

    /// σₜ and the step's stream key.
    public struct Plan {
        let sigma: Float
        let stepKey: UInt64
    }

    public func makeState(for layout: ParameterLayout) -> State { State(seed: noise?.seed ?? 0) }

    public func plan(_ state: inout State, context: StepContext) -> Plan {
        Plan(sigma: standardDeviation(at: context.step),
             stepKey: RandomStream.gradientNoise.key(seed: state.seed, step: context.step))
    }

    public func isIdentity(_ plan: Plan) -> Bool { plan.sigma == 0 }

    /// The noisy direction ±g + σₜz written to the block's scratch in one pass over g (the bits of
    /// the general path's copy of ±g and addition of σₜz), so the rule's fused kernel can run on it.
    @inline(__always)
    public func applyAsPrelude(_ plan: Plan, to block: FusedBlock) -> Bool {
        guard let scratch = block.scratch else { return false }
        if plan.sigma == 0 {
            Kernels.loadDirection(block.gradient, into: scratch, count: block.count, negate: block.sign < 0)
        } else {
            RandomStream.normals(into: UnsafeMutableBufferPointer(start: scratch, count: block.count), adding: plan.sigma,
                                 to: block.gradient, negate: block.sign < 0, stepKey: plan.stepKey,
                                 position: block.range.lowerBound)
        }
        return true
    }

    /// The noisy direction ±g + σₜz handed to `update` four lanes at a time as the normals are made
    /// (the bits of `applyAsPrelude(_:to:)`); false when σₜ = 0, where the scratch form is a plain
    /// copy.
    @inline(__always)
    public func applyAsPrelude<Update: LaneUpdate>(_ plan: Plan, to block: FusedBlock, updating update: Update) -> Bool {
        guard plan.sigma != 0 else { return false }
        RandomStream.normals(adding: plan.sigma, to: block.gradient, negate: block.sign < 0, count: block.count,
                             stepKey: plan.stepKey, position: block.range.lowerBound, updating: update)
        return true
    }

    @inline(__always)
    public func apply(_ plan: Plan, to block: UpdateBlock) {
        guard plan.sigma != 0 else { return }
        RandomStream.normals(into: UnsafeMutableBufferPointer(start: block.direction, count: block.count),
                             adding: plan.sigma, stepKey: plan.stepKey, position: block.range.lowerBound)
    }
}
