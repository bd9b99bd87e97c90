// ScaleByAdagrad and Adagrad: per-parameter step sizes from the sum of squared gradients, in
// PyTorch's conventions (initial accumulator value, ε outside the root, learning-rate decay).

/// Adagrad's scaling (Duchi, Hazan and Singer 2011, "Adaptive Subgradient Methods for Online
/// Learning and Stochastic Optimization", JMLR), as PyTorch's `Adagrad` computes it:
///
///     s ← s + d²,   d ← d / (√s + ε)          (s₀ = the initial accumulator value)
public struct ScaleByAdagrad: GradientTransform {
    /// s₀ ≥ 0, every entry of the accumulator before the first step.
    public let initialAccumulatorValue: Double
    /// ε > 0, added to √s.
    public let epsilon: Double

    /// Throws unless s₀ ≥ 0 and ε > 0 (both as Float32).
    public init(initialAccumulatorValue: Double = 0, epsilon: Double = 1e-10) throws {
        try Hyperparameter.nonNegative(initialAccumulatorValue, "initialAccumulatorValue")
        try Hyperparameter.positive(epsilon, "epsilon")
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
    }

    public static var stateKey: String { "adagrad" }

    /// The accumulated squares.
    public struct State: Codable, Sendable, Equatable {
        /// s, one scalar per parameter.
        public var sumOfSquares: Tensor
    }

    public func makeState(for layout: ParameterLayout) -> State {
        State(sumOfSquares: Tensor(shape: [layout.count], repeating: Float(initialAccumulatorValue)))
    }

    public func validate(_ state: State, for layout: ParameterLayout) throws {
        try state.sumOfSquares.validateStateBuffer(part: "adagrad.sumOfSquares", count: layout.count)
    }

    public func plan(_ state: inout State, context: StepContext) -> StepBuffer {
        state.sumOfSquares.openForStep(count: context.layout.count, owner: "adagrad.sumOfSquares")
    }

    public func apply(_ sums: StepBuffer, to block: UpdateBlock) {
        ScaleByAdagrad.scale(block.direction, sums: sums.pointer(for: block.range), count: block.count, epsilon: Float(epsilon))
    }

    /// The one-pass step when nothing else in the chain acts: the same lane arithmetic as `apply`
    /// followed by θ + α·d, so it gives the general path's bits (FusedStepTests).
    /// Always: this transform's `applyFused` has a kernel for every plan.
    public func canFuse(_ plan: StepBuffer, alpha: Float) -> Bool { true }

    public func applyFused(_ sums: StepBuffer, to block: FusedBlock) -> Bool {
        ScaleByAdagrad.step(block.gradient, sign: block.sign, parameters: block.parameters,
                            sums: sums.pointer(for: block.range), count: block.count, alpha: block.alpha,
                            epsilon: Float(epsilon))
        return true
    }

    /// s ← s + d², returns d/(√s + ε).
    @inline(__always)
    static func lanes(_ g: Vector, sums s: UnsafeMutablePointer<Float>, lanes: Int, epsilon e: Vector) -> Vector {
        let sum = loadLanes(s, lanes) + g * g
        storeLanes(sum, s, lanes)
        return g / (SIMDMath.magnitudeSquareRoot(sum) + e)
    }

    // Not inlined, like `Kernels.adam`: inlined into the chain's protocol witness, the square root
    // stays a call per lane (perf: 5× slower than this kernel compiled on its own); one call a block costs nothing.
    @inline(never)
    static func scale(_ d: UnsafeMutablePointer<Float>, sums s: UnsafeMutablePointer<Float>, count: Int, epsilon: Float) {
        let e = Vector(repeating: epsilon)
        forEachLaneGroup(count: count) { i, n in storeLanes(lanes(loadLanes(d + i, n), sums: s + i, lanes: n, epsilon: e), d + i, n) }
    }

    @inline(never)
    static func step(_ g: UnsafePointer<Float>, sign: Float, parameters theta: UnsafeMutablePointer<Float>,
                     sums s: UnsafeMutablePointer<Float>, count: Int, alpha: Float, epsilon: Float) {
        let e = Vector(repeating: epsilon), a = Vector(repeating: alpha), sg = Vector(repeating: sign)
        forEachLaneGroup(count: count) { i, n in
            let direction = lanes(loadLanes(g + i, n) * sg, sums: s + i, lanes: n, epsilon: e)
            storeLanes(loadLanes(theta + i, n) + a * direction, theta + i, n)
        }
    }
}

/// The rule of `Adagrad`: coupled weight decay, then Adagrad's scaling.
public typealias AdagradRule = Chain<AddWeightDecay, ScaleByAdagrad>

/// Adagrad with PyTorch's options and defaults (lr 10⁻², ε 10⁻¹⁰), so hyperparameters port:
///
///     d ← g + λθ,   s ← s + d²,   θ ← θ − lrₜ·d/(√s + ε),   lrₜ = lr/(1 + t·lr_decay)
///
/// (Duchi, Hazan and Singer 2011.) Every noise site goes on it as on any optimizer.
public typealias Adagrad = ChainOptimizer<AdagradRule, Identity>

extension ChainOptimizer where Rule == AdagradRule, Update == Identity {
    /// Adagrad for parameters laid out as `layout`.
    ///
    /// - Parameters:
    ///   - learningRate: lr ≥ 0 (default 10⁻²).
    ///   - learningRateDecay: PyTorch's `lr_decay`: lrₜ = lr/(1 + t·decay), t from 0. Needs a
    ///     constant `learningRate` (give a schedule instead to shape it otherwise).
    ///   - initialAccumulatorValue: s₀ ≥ 0.
    ///   - weightDecay: λ ≥ 0, added to the gradient as λθ.
    ///   - epsilon: ε > 0, added to √s.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, learningRate: any ScheduleConvertible = 1e-2, learningRateDecay: Double = 0,
                initialAccumulatorValue: Double = 0, weightDecay: Double = 0, weightDecayFilter: ParameterFilter = .all,
                epsilon: Double = 1e-10) throws {
        try Hyperparameter.nonNegative(learningRateDecay, "learningRateDecay")
        var schedule = learningRate.schedule
        if learningRateDecay != 0 {
            guard let lr = schedule.constantValue else {
                throw OptimizerError.invalidHyperparameter(name: "learningRateDecay", value: learningRateDecay,
                                                           requirement: "0 unless the learning rate is a constant")
            }
            schedule = .inverseTime(initial: lr, rate: learningRateDecay)
        }
        let rule = Chain(try AddWeightDecay(weightDecay, filter: weightDecayFilter),
                         try ScaleByAdagrad(initialAccumulatorValue: initialAccumulatorValue, epsilon: epsilon))
        try self.init(layout: layout, rule: rule, learningRate: schedule)
    }
}
