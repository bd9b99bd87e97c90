// ScaleByAdadelta and Adadelta: step sizes from running averages of squared gradients and of
// squared updates, in PyTorch's conventions.

/// Adadelta's scaling (Zeiler 2012, "ADADELTA: An Adaptive Learning Rate Method",
/// arXiv:1212.5701), as PyTorch's `Adadelta` computes it:
///
///     v ← ρv + (1 − ρ)d²,   Δ = √(u + ε)/√(v + ε)·d,   u ← ρu + (1 − ρ)Δ²,   d ← Δ
public struct ScaleByAdadelta: GradientTransform {
    /// ρ ∈ [0, 1), the averages' decay.
    public let rho: Double
    /// ε > 0, inside both roots.
    public let epsilon: Double

    /// Throws unless ρ ∈ [0, 1) and ε > 0 (as Float32).
    public init(rho: Double = 0.9, epsilon: Double = 1e-6) throws {
        try Hyperparameter.unitInterval(rho, "rho")
        try Hyperparameter.positive(epsilon, "epsilon")
        self.rho = rho
        self.epsilon = epsilon
    }

    public static var stateKey: String { "adadelta" }

    /// The two averages.
    public struct State: Codable, Sendable, Equatable {
        /// v, of squared directions.
        public var squareAverage: Tensor
        /// u, of squared updates.
        public var updateAverage: Tensor
    }

    /// The step's buffers.
    public struct Plan {
        let v: StepBuffer
        let u: StepBuffer
    }

    public func makeState(for layout: ParameterLayout) -> State {
        State(squareAverage: .zeros([layout.count]), updateAverage: .zeros([layout.count]))
    }

    public func validate(_ state: State, for layout: ParameterLayout) throws {
        try state.squareAverage.validateStateBuffer(part: "adadelta.squareAverage", count: layout.count)
        try state.updateAverage.validateStateBuffer(part: "adadelta.updateAverage", count: layout.count)
    }

    public func plan(_ state: inout State, context: StepContext) -> Plan {
        let n = context.layout.count
        return Plan(v: state.squareAverage.openForStep(count: n, owner: "adadelta.squareAverage"),
                    u: state.updateAverage.openForStep(count: n, owner: "adadelta.updateAverage"))
    }

    public func apply(_ plan: Plan, to block: UpdateBlock) {
        ScaleByAdadelta.scale(block.direction, v: plan.v.pointer(for: block.range), u: plan.u.pointer(for: block.range),
                              count: block.count, rho: Float(rho), epsilon: Float(epsilon))
    }

    /// The one-pass step when nothing else in the chain acts: the same lane arithmetic as `apply`
    /// followed by θ + α·d, so it gives the general path's bits (FusedStepTests).
    /// Always: this transform's `applyFused` has a kernel for every plan.
    public func canFuse(_ plan: Plan, alpha: Float) -> Bool { true }

    public func applyFused(_ plan: Plan, to block: FusedBlock) -> Bool {
        ScaleByAdadelta.step(block.gradient, sign: block.sign, parameters: block.parameters,
                             v: plan.v.pointer(for: block.range), u: plan.u.pointer(for: block.range),
                             count: block.count, alpha: block.alpha, rho: Float(rho), epsilon: Float(epsilon))
        return true
    }

    /// v ← ρv + (1 − ρ)d², Δ = √(u + ε)/√(v + ε)·d, u ← ρu + (1 − ρ)Δ²; returns Δ.
    @inline(__always)
    static func lanes(_ g: Vector, v: UnsafeMutablePointer<Float>, u: UnsafeMutablePointer<Float>, lanes: Int,
                      rho r: Vector, oneMinusRho oneMinusR: Vector, epsilon e: Vector) -> Vector {
        let square = r * loadLanes(v, lanes) + oneMinusR * (g * g)
        storeLanes(square, v, lanes)
        let previous = loadLanes(u, lanes)
        let delta = SIMDMath.magnitudeSquareRoot(previous + e) / SIMDMath.magnitudeSquareRoot(square + e) * g
        storeLanes(r * previous + oneMinusR * (delta * delta), u, lanes)
        return delta
    }

    // Not inlined, like `Kernels.adam`: inlined into the chain's protocol witness, the square root
    // stays a call per lane (perf: 5× slower than this kernel compiled on its own); one call a block costs nothing.
    @inline(never)
    static func scale(_ d: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, u: UnsafeMutablePointer<Float>,
                      count: Int, rho: Float, epsilon: Float) {
        let r = Vector(repeating: rho), oneMinusR = Vector(repeating: 1 - rho), e = Vector(repeating: epsilon)
        forEachLaneGroup(count: count) { i, n in
            storeLanes(lanes(loadLanes(d + i, n), v: v + i, u: u + i, lanes: n, rho: r, oneMinusRho: oneMinusR, epsilon: e), d + i, n)
        }
    }

    @inline(never)
    static func step(_ g: UnsafePointer<Float>, sign: Float, parameters theta: UnsafeMutablePointer<Float>,
                     v: UnsafeMutablePointer<Float>, u: UnsafeMutablePointer<Float>, count: Int, alpha: Float,
                     rho: Float, epsilon: Float) {
        let r = Vector(repeating: rho), oneMinusR = Vector(repeating: 1 - rho), e = Vector(repeating: epsilon)
        let a = Vector(repeating: alpha), sg = Vector(repeating: sign)
        forEachLaneGroup(count: count) { i, n in
            let direction = lanes(loadLanes(g + i, n) * sg, v: v + i, u: u + i, lanes: n, rho: r, oneMinusRho: oneMinusR, epsilon: e)
            storeLanes(loadLanes(theta + i, n) + a * direction, theta + i, n)
        }
    }
}

/// The rule of `Adadelta`: coupled weight decay, then Adadelta's scaling.
public typealias AdadeltaRule = Chain<AddWeightDecay, ScaleByAdadelta>

/// Adadelta with PyTorch's options and defaults (lr 1, ρ 0.9, ε 10⁻⁶), so hyperparameters port:
///
///     d ← g + λθ,   Δ as in `ScaleByAdadelta`,   θ ← θ − lrₜ·Δ
///
/// (Zeiler 2012.) Every noise site goes on it as on any optimizer.
public typealias Adadelta = ChainOptimizer<AdadeltaRule, Identity>

extension ChainOptimizer where Rule == AdadeltaRule, Update == Identity {
    /// Adadelta for parameters laid out as `layout`.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, learningRate: any ScheduleConvertible = 1, rho: Double = 0.9,
                epsilon: Double = 1e-6, weightDecay: Double = 0, weightDecayFilter: ParameterFilter = .all) throws {
        let rule = Chain(try AddWeightDecay(weightDecay, filter: weightDecayFilter),
                         try ScaleByAdadelta(rho: rho, epsilon: epsilon))
        try self.init(layout: layout, rule: rule, learningRate: learningRate)
    }
}
