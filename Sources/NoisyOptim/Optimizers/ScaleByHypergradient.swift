// ScaleByHypergradient: a learning rate learned online by gradient descent on itself (Baydin et
// al. 2018), wrapped around any rule, so SGD-HD and Adam-HD are two configurations of one link.

/// Scales the direction of `inner` by a learning rate αₜ that follows its own hypergradient
/// (Baydin, Cornish, Martínez Rubio, Schmidt and Wood 2018, "Online Learning Rate Adaptation with
/// Hypergradient Descent", ICLR, Algorithms 1–3):
///
///     dₜ = inner(±gₜ)                              (g for SGD-HD, m̂ₜ/(√v̂ₜ + ε) for Adam-HD)
///     ∂f(θₜ₋₁)/∂α = gₜ·(∂θₜ₋₁/∂α) = −gₜ·dₜ₋₁        (θₜ₋₁ = θₜ₋₂ − α·dₜ₋₁)
///     αₜ = max(0, αₜ₋₁ + β·gₜ·dₜ₋₁),   α before the first step = α₀, d before it = 0
///     Δθ = −αₜ·dₜ
///
/// The paper writes the update θₜ = θₜ₋₁ + uₜ with uₜ = −α·dₜ, and αₜ = αₜ₋₁ − β·hₜ with
/// hₜ = gₜ·∇_α uₜ₋₁ = −gₜ·dₜ₋₁: α grows while successive directions agree with the gradient and
/// shrinks when the last step overshot. gₜ is the objective's gradient as the step received it
/// (`StepContext.gradient`, ±), dₜ₋₁ the direction the last step really moved along — after
/// clipping and gradient noise — so with every noise site the hypergradient stays ∂f/∂α of the
/// step that was taken. g·d is one extra pass over g and dₜ₋₁ before the step: every block needs αₜ.
///
/// **Negative rates.** The paper lets α go below 0, where the step ascends. Here αₜ stops at 0:
/// the step then pauses, but dₜ is still recorded at unit scale, so the next g·d measures the
/// same agreement and α rises again as soon as it is positive (a non-finite g·d, possible only
/// under `.propagate`, leaves α unchanged). αₜ is state: a checkpoint carries it.
///
/// The link applies αₜ itself, so the chain's `learningRate` is 1 for these rules: transforms
/// after the learning rate read `StepContext.learningRate` = 1 (give parameter noise a
/// `.standardDeviation`, not `.langevin`, which would scale by that 1).
public struct ScaleByHypergradient<Inner: GradientTransform>: GradientTransform {
    /// The rule whose direction is scaled: `Identity` for SGD-HD, `ScaleByAdam` for Adam-HD.
    public let inner: Inner
    /// α₀ ≥ 0, the learning rate of the first step.
    public let initialLearningRate: Double
    /// β ≥ 0, the hypergradient's own learning rate (the paper's β: 10⁻³ for SGD-HD, 10⁻⁷ for Adam-HD).
    public let hypergradientLearningRate: Double

    /// `inner` scaled by a learned αₜ starting at α₀. Throws unless α₀ and β are 0 or normal
    /// Float32 values up to `Hyperparameter.largest`.
    public init(_ inner: Inner, initialLearningRate: Double, hypergradientLearningRate: Double) throws {
        try Hyperparameter.nonNegative(initialLearningRate, "learningRate")
        try Hyperparameter.nonNegative(hypergradientLearningRate, "hypergradientLearningRate")
        check(!Inner.partKeys.contains(Self.stateKey), "\(Inner.self) already has a part named \(Self.stateKey)")
        self.inner = inner
        self.initialLearningRate = initialLearningRate
        self.hypergradientLearningRate = hypergradientLearningRate
    }

    public static var stateKey: String { "hypergradient" }

    /// The inner rule's state, the learned rate and the last direction.
    public struct State: Codable, Sendable, Equatable {
        /// `inner`'s state.
        public var inner: Inner.State
        /// αₜ of the last step taken (α₀ before the first).
        public var learningRate: Double
        /// dₜ₋₁, the last step's direction before the learning rate, one scalar per parameter.
        public var previousDirection: Tensor
        /// False until a step has recorded dₜ₋₁ (the first step keeps α₀: d₋₁ = 0).
        public var hasPreviousDirection: Bool

        /// A state with these parts (a restored one is checked by `validate(_:for:)`).
        public init(inner: Inner.State, learningRate: Double, previousDirection: Tensor, hasPreviousDirection: Bool) {
            self.inner = inner
            self.learningRate = learningRate
            self.previousDirection = previousDirection
            self.hasPreviousDirection = hasPreviousDirection
        }
    }

    /// This link's own part of a checkpoint; the inner rule writes its parts under its own names.
    private struct Part: Codable {
        var learningRate: Double
        var previousDirection: Tensor
        var hasPreviousDirection: Bool
    }

    /// The step's scalars and buffers.
    public struct Plan {
        let inner: Inner.Plan
        let innerIsIdentity: Bool
        let previous: StepBuffer
        let learningRate: Float
    }

    public static var partKeys: [String] { Inner.partKeys + [stateKey] }

    public static func encodeParts(_ state: State, into container: inout KeyedEncodingContainer<StatePartKey>) throws {
        try Inner.encodeParts(state.inner, into: &container)
        try container.encode(Part(learningRate: state.learningRate, previousDirection: state.previousDirection,
                                  hasPreviousDirection: state.hasPreviousDirection), forKey: StatePartKey(stateKey))
    }

    public static func decodeParts(from container: KeyedDecodingContainer<StatePartKey>) throws -> State {
        let part = try container.decode(Part.self, forKey: StatePartKey(stateKey))
        return State(inner: try Inner.decodeParts(from: container), learningRate: part.learningRate,
                     previousDirection: part.previousDirection, hasPreviousDirection: part.hasPreviousDirection)
    }

    public var needsGradient: Bool { true }

    public func makeState(for layout: ParameterLayout) -> State {
        State(inner: inner.makeState(for: layout), learningRate: initialLearningRate,
              previousDirection: .zeros([layout.count]), hasPreviousDirection: false)
    }

    /// Also refuses a learned rate a constructed link could not hold (negative, NaN, ∞, subnormal).
    public func validate(_ state: State, for layout: ParameterLayout) throws {
        try inner.validate(state.inner, for: layout)
        try state.previousDirection.validateStateBuffer(part: "hypergradient.previousDirection", count: layout.count)
        do {
            try Hyperparameter.nonNegative(state.learningRate, "hypergradient.learningRate")
        } catch {
            throw OptimizerError.stateMismatch(part: "hypergradient.learningRate", expected: "a learning rate ≥ 0",
                                               found: "\(state.learningRate)")
        }
    }

    public func checkSchedules(at t: Int) throws { try inner.checkSchedules(at: t) }

    public func plan(_ state: inout State, context: StepContext) -> Plan {
        guard let gradient = context.gradient else { fail("ScaleByHypergradient needs the step's gradient (needsGradient)") }
        var alpha = state.learningRate
        if state.hasPreviousDirection {
            let agreement = state.previousDirection.withUnsafeBufferPointer { gradient.dot($0) }
            let next = alpha + hypergradientLearningRate * agreement
            // Clamped to what a Float step can apply; 0 pauses the step without ending the adaptation.
            if next.isFinite { alpha = min(max(next, 0), Hyperparameter.largest) }
        }
        state.learningRate = alpha
        let innerPlan = inner.plan(&state.inner, context: context)
        let previous = state.previousDirection.openForStep(count: context.layout.count, owner: "hypergradient.previousDirection")
        state.hasPreviousDirection = true
        return Plan(inner: innerPlan, innerIsIdentity: inner.isIdentity(innerPlan), previous: previous,
                    learningRate: Float(alpha))
    }

    @inline(__always)
    public func apply(_ plan: Plan, to block: UpdateBlock) {
        let scale = applyDeferringScale(plan, to: block)
        Kernels.scale(block.direction, by: scale, count: block.count)
    }

    /// Records dₜ for the next step's hypergradient and leaves αₜ to the final pass.
    @inline(__always)
    public func applyDeferringScale(_ plan: Plan, to block: UpdateBlock) -> Float {
        if !plan.innerIsIdentity {
            let pending = inner.applyDeferringScale(plan.inner, to: block)
            if pending != 1 { Kernels.scale(block.direction, by: pending, count: block.count) }
        }
        plan.previous.pointer(for: block.range).update(from: block.direction, count: block.count)
        return plan.learningRate
    }
}
