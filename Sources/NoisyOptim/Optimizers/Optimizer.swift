// Optimizer: the protocol every named optimizer conforms to, and what a step reports.

/// What one step did.
public struct StepReport: Sendable, Equatable {
    /// The objective's loss at the point it was evaluated (θ, or θ + ξ), for a closure step; nil
    /// for a step given a gradient.
    public var loss: Float?
    /// False if the step was skipped under `NonFiniteGradientPolicy.skipStep`.
    public var applied: Bool

    /// A report of a step.
    public init(loss: Float? = nil, applied: Bool) {
        self.loss = loss
        self.applied = applied
    }
}

/// An optimizer created for one flat parameter vector: it owns its state, which is never optional
/// and always `Codable`, and restores a checkpoint only if it fits.
///
/// A step follows one order (DESIGN.md): sample W → perturb θ → evaluate ∇ → clip → add gradient
/// noise → weight decay → momentum / adaptive scaling → × learning rate → parameter noise → apply. Randomness is
/// counter-based and keyed by (seed, step), so saving `state` mid-run, restoring it into an
/// optimizer built with the same hyperparameters and continuing reproduces the uninterrupted run
/// bit for bit, noise included.
///
/// ```swift
/// let objective = model.objective(on: data)     // (θ, W) ↦ (Σᵢ Wᵢ ℓᵢ(θ), ∇)
/// var optimizer = try SGD(layout: model.layout, learningRate: 0.1, momentum: 0.9)
///     .withSampling(SGDSampling(exampleCount: data.count, batchSize: 32), seed: 1)
/// for _ in 0..<1000 {
///     try optimizer.step(&parameters, objective: objective)
/// }
/// ```
public protocol Optimizer: Sendable {
    /// Everything the optimizer remembers between steps: step count, velocities, moments, the
    /// random streams' keys. `restore(_:)` a decoded copy to resume a run.
    associatedtype State: Codable, Sendable, Equatable

    /// The segments of the parameter vector the optimizer was created for.
    var layout: ParameterLayout { get }
    /// The state; a copy is a checkpoint.
    var state: State { get }

    /// Continues from a checkpoint. Throws `OptimizerError.stateMismatch` naming both sides if
    /// `state` does not fit this optimizer (another layout, chain or buffer size), changing nothing.
    mutating func restore(_ state: State) throws
    /// Steps applied so far: the t of the next step.
    var stepCount: Int { get }

    /// Applies one step with a gradient the caller computed at θ = `parameters`.
    @discardableResult
    mutating func step(_ parameters: inout Tensor, gradient: Tensor) throws -> StepReport

    /// Draws the step's sampling vector, chooses the point, evaluates `objective` there and applies
    /// the step to `parameters`. Rethrows the objective's errors with nothing changed.
    @discardableResult
    mutating func step(_ parameters: inout Tensor, objective: Objective) throws -> StepReport
}
