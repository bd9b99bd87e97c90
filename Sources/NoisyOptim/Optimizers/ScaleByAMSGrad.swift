// ScaleByAMSGrad and AMSGrad: Adam whose second moment never decreases, as PyTorch's
// `Adam(amsgrad=True)` computes it.

/// AMSGrad's scaling (Reddi, Kale and Kumar 2018, "On the Convergence of Adam and Beyond",
/// ICLR), in PyTorch's form: the running maximum is of the uncorrected v, divided by the current
/// bias correction, with t counted from 0:
///
///     m ← β₁m + (1 − β₁)d,   v ← β₂v + (1 − β₂)d²,   v_max ← max(v_max, v)
///     d ← (m / (√v_max/√(1 − β₂ᵗ⁺¹) + ε)) / (1 − β₁ᵗ⁺¹)
public struct ScaleByAMSGrad: GradientTransform {
    /// Adam's hyperparameters (β₁, β₂, ε), validated as `ScaleByAdam` does.
    public let adam: ScaleByAdam

    /// Throws unless β₁, β₂ ∈ [0, 1) and ε > 0 (as Float32).
    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) throws {
        adam = try ScaleByAdam(beta1: beta1, beta2: beta2, epsilon: epsilon)
    }

    public static var stateKey: String { "amsgrad" }

    /// Adam's moments and the running maximum of v.
    public struct State: Codable, Sendable, Equatable {
        /// m and v.
        public var moments: ScaleByAdam.State
        /// max over steps of v, one scalar per parameter.
        public var maximumSecondMoment: Tensor
    }

    /// Adam's plan and the maximum's buffer.
    public struct Plan {
        let adam: ScaleByAdam.Plan
        let maximum: StepBuffer
    }

    public func makeState(for layout: ParameterLayout) -> State {
        State(moments: adam.makeState(for: layout), maximumSecondMoment: .zeros([layout.count]))
    }

    public func validate(_ state: State, for layout: ParameterLayout) throws {
        try adam.validate(state.moments, for: layout)
        try state.maximumSecondMoment.validateStateBuffer(part: "amsgrad.maximumSecondMoment", count: layout.count)
    }

    public func plan(_ state: inout State, context: StepContext) -> Plan {
        Plan(adam: adam.plan(&state.moments, context: context),
             maximum: state.maximumSecondMoment.openForStep(count: context.layout.count, owner: "amsgrad.maximumSecondMoment"))
    }

    public func apply(_ plan: Plan, to block: UpdateBlock) {
        let offset = block.range.lowerBound
        ScaleByAMSGrad.scale(block.direction, m: plan.adam.m + offset, v: plan.adam.v + offset,
                             maximum: plan.maximum.pointer(for: block.range), count: block.count, constants(plan))
    }

    /// The one-pass step when nothing else in the chain acts: the same lane arithmetic as `apply`
    /// followed by θ + α·d, so it gives the general path's bits (FusedStepTests).
    /// Always: this transform's `applyFused` has a kernel for every plan.
    public func canFuse(_ plan: Plan, alpha: Float) -> Bool { true }

    public func applyFused(_ plan: Plan, to block: FusedBlock) -> Bool {
        let offset = block.range.lowerBound
        ScaleByAMSGrad.step(block.gradient, sign: block.sign, parameters: block.parameters,
                            m: plan.adam.m + offset, v: plan.adam.v + offset,
                            maximum: plan.maximum.pointer(for: block.range), count: block.count, alpha: block.alpha,
                            constants(plan))
        return true
    }

    private func constants(_ plan: Plan) -> Kernels.AdamConstants {
        Kernels.AdamConstants(beta1: Float(adam.beta1), beta2: Float(adam.beta2), correction1: plan.adam.correction1,
                              correction2: plan.adam.correction2, epsilon: Float(adam.epsilon))
    }

    /// Adam's m and v, v_max ← max(v_max, v); returns (m / (√v_max · c₂ + ε)) · c₁.
    @inline(__always)
    static func lanes(_ g: Vector, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                      maximum vmax: UnsafeMutablePointer<Float>, lanes: Int, _ k: Kernels.AdamConstants) -> Vector {
        let first = k.b1 * loadLanes(m, lanes) + k.c1 * g
        let second = k.b2 * loadLanes(v, lanes) + k.c2 * (g * g)
        var largest = loadLanes(vmax, lanes)
        largest.replace(with: second, where: second .> largest)
        storeLanes(first, m, lanes)
        storeLanes(second, v, lanes)
        storeLanes(largest, vmax, lanes)
        return first / (SIMDMath.magnitudeSquareRoot(largest) * k.k2 + k.e) * k.k1
    }

    // Not inlined, like `Kernels.adam`: inlined into the chain's protocol witness, the square root
    // stays a call per lane (perf: 5× slower than this kernel compiled on its own); one call a block costs nothing.
    @inline(never)
    static func scale(_ d: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                      maximum vmax: UnsafeMutablePointer<Float>, count: Int, _ k: Kernels.AdamConstants) {
        forEachLaneGroup(count: count) { i, n in
            storeLanes(lanes(loadLanes(d + i, n), m: m + i, v: v + i, maximum: vmax + i, lanes: n, k), d + i, n)
        }
    }

    @inline(never)
    static func step(_ g: UnsafePointer<Float>, sign: Float, parameters theta: UnsafeMutablePointer<Float>,
                     m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, maximum vmax: UnsafeMutablePointer<Float>,
                     count: Int, alpha: Float, _ k: Kernels.AdamConstants) {
        let a = Vector(repeating: alpha), sg = Vector(repeating: sign)
        forEachLaneGroup(count: count) { i, n in
            let direction = lanes(loadLanes(g + i, n) * sg, m: m + i, v: v + i, maximum: vmax + i, lanes: n, k)
            storeLanes(loadLanes(theta + i, n) + a * direction, theta + i, n)
        }
    }
}

/// The rule of `AMSGrad`: coupled weight decay, then AMSGrad's scaling.
public typealias AMSGradRule = Chain<AddWeightDecay, ScaleByAMSGrad>

/// Adam with AMSGrad's non-decreasing second moment (Reddi, Kale and Kumar 2018), PyTorch's
/// `Adam(amsgrad=True)` with its defaults:
///
///     d ← g + λθ,   m, v, v_max and d as in `ScaleByAMSGrad`,   θ ← θ − lrₜ·d
public typealias AMSGrad = ChainOptimizer<AMSGradRule, Identity>

extension ChainOptimizer where Rule == AMSGradRule, Update == Identity {
    /// AMSGrad for parameters laid out as `layout`; the parameters are `Adam`'s.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, learningRate: any ScheduleConvertible = 1e-3, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0,
                weightDecayFilter: ParameterFilter = .all) throws {
        let rule = Chain(try AddWeightDecay(weightDecay, filter: weightDecayFilter),
                         try ScaleByAMSGrad(beta1: beta1, beta2: beta2, epsilon: epsilon))
        try self.init(layout: layout, rule: rule, learningRate: learningRate)
    }
}
