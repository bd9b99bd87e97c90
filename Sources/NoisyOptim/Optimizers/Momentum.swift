// Momentum: the heavy-ball velocity in PyTorch's convention, so hyperparameters port unchanged.

/// Momentum as PyTorch's `SGD` applies it (Sutskever et al. 2013 form, velocity in gradient units):
///
///     v₁ = d₁                          (the first step copies the direction, no dampening)
///     vₜ = μ·vₜ₋₁ + (1 − τ)·dₜ         (τ = dampening)
///     d ← d + μ·vₜ  (Nesterov)   or   d ← vₜ
///
/// With μ = 0 the transform does nothing and keeps no buffer.
public struct Momentum: GradientTransform {
    /// μ ∈ [0, 1).
    public let momentum: Double
    /// τ; PyTorch's `dampening`.
    public let dampening: Double
    /// Nesterov's look-ahead form.
    public let nesterov: Bool

    /// Throws unless 0 ≤ μ < 1 and 0 ≤ τ ≤ 1, and, for Nesterov, μ > 0 and τ = 0 (PyTorch's rule:
    /// Nesterov momentum requires a momentum and zero dampening).
    public init(_ momentum: Double, dampening: Double = 0, nesterov: Bool = false) throws {
        try Hyperparameter.unitInterval(momentum, "momentum")
        try Hyperparameter.require(dampening >= 0 && dampening <= 1, "dampening", dampening, "0 ≤ dampening ≤ 1")
        if nesterov {
            try Hyperparameter.require(momentum > 0, "momentum", momentum, "momentum > 0 with Nesterov")
            try Hyperparameter.require(dampening == 0, "dampening", dampening, "dampening = 0 with Nesterov")
        }
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
    }

    public static var stateKey: String { "momentum" }

    /// The velocity v and whether it holds a first value yet.
    public struct State: Codable, Sendable, Equatable {
        /// v, one scalar per parameter (empty when μ = 0).
        public var velocity: Tensor
        /// False until the first step has set v₁ = d₁.
        public var hasVelocity: Bool
    }

    /// The step's scalars and the velocity buffer.
    public struct Plan {
        let velocity: UnsafeMutablePointer<Float>?
        let momentum: Float
        let gradientScale: Float
        let first: Bool
    }

    public func makeState(for layout: ParameterLayout) -> State {
        State(velocity: .zeros([momentum == 0 ? 0 : layout.count]), hasVelocity: false)
    }

    public func validate(_ state: State, for layout: ParameterLayout) throws {
        try state.velocity.validateStateBuffer(part: "momentum.velocity", count: momentum == 0 ? 0 : layout.count)
    }

    public func plan(_ state: inout State, context: StepContext) -> Plan {
        guard momentum != 0 else { return Plan(velocity: nil, momentum: 0, gradientScale: 1, first: false) }
        let velocity = state.velocity.openForStep(count: context.layout.count, owner: "momentum")
        let first = !state.hasVelocity
        state.hasVelocity = true
        return Plan(velocity: velocity.base, momentum: Float(momentum),
                    gradientScale: Float(1 - dampening), first: first)
    }

    public func isIdentity(_ plan: Plan) -> Bool { plan.velocity == nil }

    /// One pass over g, v and θ (see `Kernels.momentumStep`).
    /// Always: this transform's `applyFused` has a kernel for every plan.
    public func canFuse(_ plan: Plan, alpha: Float) -> Bool { true }

    @inline(__always)
    public func applyFused(_ plan: Plan, to block: FusedBlock) -> Bool {
        guard let velocity = plan.velocity else {
            block.descend()
            return true
        }
        Kernels.momentumStep(block.gradient, sign: block.sign, parameters: block.parameters,
                             velocity: velocity + block.range.lowerBound, count: block.count, alpha: block.alpha,
                             momentum: plan.momentum, gradientScale: plan.gradientScale,
                             nesterov: nesterov, first: plan.first)
        return true
    }

    /// The per-position form of the fused step after the first (plain descent when μ = 0); the
    /// first step, which copies d into v, takes the block path.
    @inline(__always)
    public func applyFused<Source: DirectionSource>(_ plan: Plan, to block: FusedBlock, from source: Source) -> Bool {
        guard let velocity = plan.velocity else { return source.run(DescentLanes(block)) }
        if plan.first { return false }
        let lanes = HeavyBallLanes(parameters: block.parameters, velocity: velocity + block.range.lowerBound, alpha: block.alpha,
                                   momentum: plan.momentum, gradientScale: plan.gradientScale)
        return nesterov ? source.run(NesterovLanes(lanes)) : source.run(lanes)
    }

    @inline(__always)
    public func apply(_ plan: Plan, to block: UpdateBlock) {
        guard let velocity = plan.velocity else { return }
        Kernels.momentum(block.direction, velocity: velocity + block.range.lowerBound, count: block.count,
                         momentum: plan.momentum, gradientScale: plan.gradientScale,
                         nesterov: nesterov, first: plan.first)
    }
}

/// v ← μ·v + (1 − τ)·d, θ ← θ + α·v at single positions: `Kernels.momentumStep` after the first step,
/// with its bits.
struct HeavyBallLanes: LaneUpdate {
    let parameters: UnsafeMutablePointer<Float>
    let velocity: UnsafeMutablePointer<Float>
    let alpha: Float
    let momentum: Float
    let gradientScale: Float

    @inline(__always)
    func update(_ d: SIMD4<Float>, at offset: Int, skipping skipped: SIMDMask<SIMD4<Int32>>) {
        let v = UnsafeMutableRawPointer(velocity + offset), theta = UnsafeMutableRawPointer(parameters + offset)
        let oldV = v.loadUnaligned(as: SIMD4<Float>.self), oldTheta = theta.loadUnaligned(as: SIMD4<Float>.self)
        let next = momentum * oldV + gradientScale * d
        v.storeBytes(of: next.replacing(with: oldV, where: skipped), as: SIMD4<Float>.self)
        theta.storeBytes(of: maskedSubtract(oldTheta, (-alpha) * next, skipping: skipped), as: SIMD4<Float>.self)
    }

    @inline(__always)
    func update(_ d: Float, at offset: Int) {
        let next = momentum * velocity[offset] + gradientScale * d
        velocity[offset] = next
        parameters[offset] += alpha * next
    }
}

/// Nesterov's form of `HeavyBallLanes`: θ ← θ + α·(d + μ·v) with the new v.
struct NesterovLanes: LaneUpdate {
    let lanes: HeavyBallLanes

    @inline(__always)
    init(_ lanes: HeavyBallLanes) { self.lanes = lanes }

    @inline(__always)
    func update(_ d: SIMD4<Float>, at offset: Int, skipping skipped: SIMDMask<SIMD4<Int32>>) {
        let v = UnsafeMutableRawPointer(lanes.velocity + offset), theta = UnsafeMutableRawPointer(lanes.parameters + offset)
        let oldV = v.loadUnaligned(as: SIMD4<Float>.self), oldTheta = theta.loadUnaligned(as: SIMD4<Float>.self)
        let next = lanes.momentum * oldV + lanes.gradientScale * d
        v.storeBytes(of: next.replacing(with: oldV, where: skipped), as: SIMD4<Float>.self)
        theta.storeBytes(of: maskedSubtract(oldTheta, (-lanes.alpha) * (d + lanes.momentum * next), skipping: skipped),
                         as: SIMD4<Float>.self)
    }

    @inline(__always)
    func update(_ d: Float, at offset: Int) {
        let next = lanes.momentum * lanes.velocity[offset] + lanes.gradientScale * d
        lanes.velocity[offset] = next
        lanes.parameters[offset] += lanes.alpha * (d + lanes.momentum * next)
    }
}
