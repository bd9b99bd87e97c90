// ScaleByRMSprop and RMSprop: step sizes from a running average of squared gradients, optionally
// centred and with momentum on the scaled direction, in PyTorch's conventions.

/// RMSprop's scaling (Tieleman & Hinton 2012, Lecture 6.5 of "Neural Networks for Machine
/// Learning"), as PyTorch's `RMSprop` computes it:
///
///     v ← αv + (1 − α)d²
///     centred:  m ← αm + (1 − α)d,  a = √(v − m²) + ε;   else a = √v + ε
///     d ← d/a;  with momentum μ: b ← μb + d, d ← b
///
/// (√ is taken of |v − m²|, which rounding can leave a hair below 0 where PyTorch gives NaN.)
public struct ScaleByRMSprop: GradientTransform {
    /// α ∈ [0, 1), the average's decay.
    public let alpha: Double
    /// ε > 0, added to the root.
    public let epsilon: Double
    /// μ ∈ [0, 1); 0 keeps no buffer.
    public let momentum: Double
    /// Divide by the standard deviation estimate √(v − m²) instead of √v.
    public let centered: Bool

    /// Throws unless α, μ ∈ [0, 1) and ε > 0 (as Float32).
    public init(alpha: Double = 0.99, epsilon: Double = 1e-8, momentum: Double = 0, centered: Bool = false) throws {
        try Hyperparameter.unitInterval(alpha, "alpha")
        try Hyperparameter.positive(epsilon, "epsilon")
        try Hyperparameter.unitInterval(momentum, "momentum")
        self.alpha = alpha
        self.epsilon = epsilon
        self.momentum = momentum
        self.centered = centered
    }

    public static var stateKey: String { "rmsprop" }

    /// The averages and the momentum buffer.
    public struct State: Codable, Sendable, Equatable {
        /// v.
        public var squareAverage: Tensor
        /// m (empty unless centred).
        public var gradientAverage: Tensor
        /// b (empty without momentum).
        public var momentumBuffer: Tensor
    }

    /// The step's buffers.
    public struct Plan {
        let v: StepBuffer
        let m: StepBuffer?
        let b: StepBuffer?
    }

    public func makeState(for layout: ParameterLayout) -> State {
        State(squareAverage: .zeros([layout.count]), gradientAverage: .zeros([centered ? layout.count : 0]),
              momentumBuffer: .zeros([momentum == 0 ? 0 : layout.count]))
    }

    public func validate(_ state: State, for layout: ParameterLayout) throws {
        let n = layout.count
        try state.squareAverage.validateStateBuffer(part: "rmsprop.squareAverage", count: n)
        try state.gradientAverage.validateStateBuffer(part: "rmsprop.gradientAverage", count: centered ? n : 0)
        try state.momentumBuffer.validateStateBuffer(part: "rmsprop.momentumBuffer", count: momentum == 0 ? 0 : n)
    }

    public func plan(_ state: inout State, context: StepContext) -> Plan {
        let n = context.layout.count
        return Plan(v: state.squareAverage.openForStep(count: n, owner: "rmsprop.squareAverage"),
                    m: centered ? state.gradientAverage.openForStep(count: n, owner: "rmsprop.gradientAverage") : nil,
                    b: momentum == 0 ? nil : state.momentumBuffer.openForStep(count: n, owner: "rmsprop.momentumBuffer"))
    }

    public func apply(_ plan: Plan, to block: UpdateBlock) {
        let k = RMSpropConstants(alpha: Float(alpha), epsilon: Float(epsilon), momentum: Float(momentum))
        ScaleByRMSprop.scale(block.direction, v: plan.v.pointer(for: block.range), m: plan.m?.pointer(for: block.range),
                             b: plan.b?.pointer(for: block.range), count: block.count, k)
    }

    /// The one-pass step when nothing else in the chain acts: the same lane arithmetic as `apply`
    /// followed by θ + α·d, so it gives the general path's bits (FusedStepTests).
    /// Always: this transform's `applyFused` has a kernel for every plan.
    public func canFuse(_ plan: Plan, alpha: Float) -> Bool { true }

    public func applyFused(_ plan: Plan, to block: FusedBlock) -> Bool {
        let k = RMSpropConstants(alpha: Float(alpha), epsilon: Float(epsilon), momentum: Float(momentum))
        ScaleByRMSprop.step(block.gradient, sign: block.sign, parameters: block.parameters,
                            v: plan.v.pointer(for: block.range), m: plan.m?.pointer(for: block.range),
                            b: plan.b?.pointer(for: block.range), count: block.count, alpha: block.alpha, k)
        return true
    }

    struct RMSpropConstants {
        let a, oneMinusA, e, mu: Vector
        init(alpha: Float, epsilon: Float, momentum: Float) {
            a = Vector(repeating: alpha); oneMinusA = Vector(repeating: 1 - alpha)
            e = Vector(repeating: epsilon); mu = Vector(repeating: momentum)
        }
    }

    /// v ← αv + (1 − α)d², m ← αm + (1 − α)d if centred, b ← μb + d/(√(v − m²) + ε) if momentum;
    /// returns the new direction.
    @inline(__always)
    static func lanes(_ g: Vector, v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>?,
                      b: UnsafeMutablePointer<Float>?, lanes: Int, _ k: RMSpropConstants) -> Vector {
        let square = k.a * loadLanes(v, lanes) + k.oneMinusA * (g * g)
        storeLanes(square, v, lanes)
        var variance = square
        if let m {
            let mean = k.a * loadLanes(m, lanes) + k.oneMinusA * g
            storeLanes(mean, m, lanes)
            variance = square - mean * mean
        }
        var step = g / (SIMDMath.magnitudeSquareRoot(variance) + k.e)
        if let b {
            step = k.mu * loadLanes(b, lanes) + step
            storeLanes(step, b, lanes)
        }
        return step
    }

    // Not inlined, like `Kernels.adam`: inlined into the chain's protocol witness, the square root
    // stays a call per lane (perf: 5× slower than this kernel compiled on its own); one call a block costs nothing.
    @inline(never)
    static func scale(_ d: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>?,
                      b: UnsafeMutablePointer<Float>?, count: Int, _ k: RMSpropConstants) {
        forEachLaneGroup(count: count) { i, n in
            storeLanes(lanes(loadLanes(d + i, n), v: v + i, m: m.map { $0 + i }, b: b.map { $0 + i }, lanes: n, k), d + i, n)
        }
    }

    @inline(never)
    static func step(_ g: UnsafePointer<Float>, sign: Float, parameters theta: UnsafeMutablePointer<Float>,
                     v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>?, b: UnsafeMutablePointer<Float>?,
                     count: Int, alpha: Float, _ k: RMSpropConstants) {
        let a = Vector(repeating: alpha), sg = Vector(repeating: sign)
        forEachLaneGroup(count: count) { i, n in
            let direction = lanes(loadLanes(g + i, n) * sg, v: v + i, m: m.map { $0 + i }, b: b.map { $0 + i }, lanes: n, k)
            storeLanes(loadLanes(theta + i, n) + a * direction, theta + i, n)
        }
    }
}

/// The rule of `RMSprop`: coupled weight decay, then RMSprop's scaling.
public typealias RMSpropRule = Chain<AddWeightDecay, ScaleByRMSprop>

/// RMSprop with PyTorch's options and defaults (lr 10⁻², α 0.99, ε 10⁻⁸), so hyperparameters port:
///
///     d ← g + λθ,   v ← αv + (1 − α)d²,   θ ← θ − lrₜ·d/(√v + ε)   (centred and momentum as in `ScaleByRMSprop`)
///
/// (Tieleman & Hinton 2012.) Every noise site goes on it as on any optimizer; with parameter
/// noise it is the preconditioner of pSGLD (Li, Chen, Carlson and Carin 2016) without its
/// preconditioned noise.
public typealias RMSprop = ChainOptimizer<RMSpropRule, Identity>

extension ChainOptimizer where Rule == RMSpropRule, Update == Identity {
    /// RMSprop for parameters laid out as `layout`.
    ///
    /// - Parameters:
    ///   - learningRate: lrₜ ≥ 0 (default 10⁻²).
    ///   - alpha: α ∈ [0, 1), the square average's decay.
    ///   - epsilon: ε > 0.
    ///   - weightDecay: λ ≥ 0, added to the gradient as λθ.
    ///   - momentum: μ ∈ [0, 1) on the scaled direction.
    ///   - centered: divide by √(v − m²) + ε.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, learningRate: any ScheduleConvertible = 1e-2, alpha: Double = 0.99,
                epsilon: Double = 1e-8, weightDecay: Double = 0, weightDecayFilter: ParameterFilter = .all,
                momentum: Double = 0, centered: Bool = false) throws {
        let rule = Chain(try AddWeightDecay(weightDecay, filter: weightDecayFilter),
                         try ScaleByRMSprop(alpha: alpha, epsilon: epsilon, momentum: momentum, centered: centered))
        try self.init(layout: layout, rule: rule, learningRate: learningRate)
    }
}
