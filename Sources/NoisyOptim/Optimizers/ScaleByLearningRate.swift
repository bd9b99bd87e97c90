// ScaleByLearningRate: the learning rate as a link of the chain, so whatever follows it acts in
// parameter units (Langevin noise, Anti-PGD's increments, iterate averaging).

/// d ← −lrₜ·d, with lrₜ = `StepContext.learningRate` (optax's `scale_by_learning_rate`).
///
/// Every `ChainOptimizer` places it after its rule: transforms before it see a direction in
/// gradient units, transforms after it the update Δθ that is added to θ. When it is the only
/// scaling after a rule with a fused kernel, it folds into that kernel's step size, so a step
/// stays one pass over memory.
public struct ScaleByLearningRate: GradientTransform {
    /// The learning-rate link.
    public init() {}

    public static var stateKey: String { "learningRate" }

    /// Stateless: nothing to checkpoint.

    public typealias State = NoState

    public func makeState(for layout: ParameterLayout) -> State { NoState() }

    /// −lrₜ, rounded once to Float.
    public func plan(_ state: inout State, context: StepContext) -> Float { -Float(context.learningRate) }

    public func scaleFactor(_ plan: Float) -> Float? { plan }

    @inline(__always)
    public func apply(_ plan: Float, to block: UpdateBlock) {
        Kernels.scale(block.direction, by: plan, count: block.count)
    }

    /// Plain descent θ ← θ − lrₜ·(±g) in one pass, when nothing before it acts.
    @inline(__always)
    public func canFuse(_ plan: Float, alpha: Float) -> Bool { alpha == 1 }

    public func applyFused(_ plan: Float, to block: FusedBlock) -> Bool {
        guard block.alpha == 1 else { return false }
        block.scaled(by: plan).descend()
        return true
    }
}
