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

    @inline(__always)
    public func apply(_ plan: Plan, to block: UpdateBlock) {
        let d = block.direction, v = plan.v.pointer(for: block.range)
        let m = plan.m?.pointer(for: block.range), b = plan.b?.pointer(for: block.range)
        let a = Vector(repeating: Float(alpha)), oneMinusA = Vector(repeating: 1 - Float(alpha))
        let e = Vector(repeating: Float(epsilon)), mu = Vector(repeating: Float(momentum))
        forEachLaneGroup(count: block.count) { i, lanes in
            let g = loadLanes(d + i, lanes)
            let square = a * loadLanes(v + i, lanes) + oneMinusA * (g * g)
            storeLanes(square, v + i, lanes)
            var variance = square
            if let m {
                let mean = a * loadLanes(m + i, lanes) + oneMinusA * g
                storeLanes(mean, m + i, lanes)
                variance = square - mean * mean
            }
            var step = g / (SIMDMath.magnitudeSquareRoot(variance) + e)
            if let b {
                step = mu * loadLanes(b + i, lanes) + step
                storeLanes(step, b + i, lanes)
            }
            storeLanes(step, d + i, lanes)
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
