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

    @inline(__always)
    public func apply(_ plan: Plan, to block: UpdateBlock) {
        let offset = block.range.lowerBound, d = block.direction
        let m = plan.adam.m + offset, v = plan.adam.v + offset, vmax = plan.maximum.pointer(for: block.range)
        let b1 = Vector(repeating: Float(adam.beta1)), b2 = Vector(repeating: Float(adam.beta2))
        let c1 = Vector(repeating: 1 - Float(adam.beta1)), c2 = Vector(repeating: 1 - Float(adam.beta2))
        let k1 = Vector(repeating: plan.adam.correction1), k2 = Vector(repeating: plan.adam.correction2)
        let e = Vector(repeating: Float(adam.epsilon))
        forEachLaneGroup(count: block.count) { i, lanes in
            let g = loadLanes(d + i, lanes)
            let first = b1 * loadLanes(m + i, lanes) + c1 * g
            let second = b2 * loadLanes(v + i, lanes) + c2 * (g * g)
            var largest = loadLanes(vmax + i, lanes)
            largest.replace(with: second, where: second .> largest)
            storeLanes(first, m + i, lanes)
            storeLanes(second, v + i, lanes)
            storeLanes(largest, vmax + i, lanes)
            storeLanes(first / (SIMDMath.magnitudeSquareRoot(largest) * k2 + e) * k1, d + i, lanes)
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
