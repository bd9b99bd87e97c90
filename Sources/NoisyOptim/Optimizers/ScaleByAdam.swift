// ScaleByAdam: Adam's bias-corrected moment estimates turned into a step direction.

import Foundation

/// Adam's scaling (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", ICLR,
/// Algorithm 1), with t counted from 0 so the bias corrections use t + 1:
///
///     m ← β₁m + (1 − β₁)d,   v ← β₂v + (1 − β₂)d²
///     d ← m̂ / (√v̂ + ε),     m̂ = m / (1 − β₁ᵗ⁺¹),  v̂ = v / (1 − β₂ᵗ⁺¹)
public struct ScaleByAdam: GradientTransform {
    /// β₁, the first moment's decay.
    public let beta1: Double
    /// β₂, the second moment's decay.
    public let beta2: Double
    /// ε, added to √v̂.
    public let epsilon: Double

    /// Throws unless β₁, β₂ ∈ [0, 1) and ε > 0.
    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) throws {
        try Hyperparameter.unitInterval(beta1, "beta1")
        try Hyperparameter.unitInterval(beta2, "beta2")
        try Hyperparameter.positive(epsilon, "epsilon")
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public static var stateKey: String { "adam" }

    /// The first and second moment estimates.
    public struct State: Codable, Sendable, Equatable {
        /// m.
        public var firstMoment: Tensor
        /// v.
        public var secondMoment: Tensor
    }

    /// The step's bias corrections and the moment buffers.
    public struct Plan {
        let m: UnsafeMutablePointer<Float>
        let v: UnsafeMutablePointer<Float>
        let correction1: Float
        let correction2: Float
    }

    public func makeState(for layout: ParameterLayout) -> State {
        State(firstMoment: .zeros([layout.count]), secondMoment: .zeros([layout.count]))
    }

    public func validate(_ state: State, for layout: ParameterLayout) throws {
        try state.firstMoment.validateStateBuffer(part: "adam.firstMoment", count: layout.count)
        try state.secondMoment.validateStateBuffer(part: "adam.secondMoment", count: layout.count)
    }

    public func plan(_ state: inout State, context: StepContext) -> Plan {
        let t = Double(context.step + 1)
        // The corrections use β as the kernels do, rounded to Float: with β near 1, 1 − β and
        // 1 − Float(β) can differ by up to 2×, and so would the first step.
        let beta1 = Double(Float(beta1)), beta2 = Double(Float(beta2))
        let n = context.layout.count
        return Plan(m: state.firstMoment.openForStep(count: n, owner: "adam.firstMoment").base,
                    v: state.secondMoment.openForStep(count: n, owner: "adam.secondMoment").base,
                    correction1: Float(1 / (1 - pow(beta1, t))),
                    correction2: Float(1 / (1 - pow(beta2, t)).squareRoot()))
    }

    /// One pass over g, m, v and θ (see `Kernels.adamStep`).
    /// Always: this transform's `applyFused` has a kernel for every plan.
    public func canFuse(_ plan: Plan, alpha: Float) -> Bool { true }

    @inline(__always)
    public func applyFused(_ plan: Plan, to block: FusedBlock) -> Bool { applyFused(plan, to: block, decaying: 0) }

    /// Always: AdamW's step in one pass (see `Kernels.adamStep`; λ = 0 is Adam's).
    public func canFuse(_ plan: Plan, alpha: Float, decaying lambda: Float) -> Bool { true }

    @inline(__always)
    public func applyFused(_ plan: Plan, to block: FusedBlock, decaying lambda: Float) -> Bool {
        let offset = block.range.lowerBound
        Kernels.adamStep(block.gradient, sign: block.sign, parameters: block.parameters,
                         m: plan.m + offset, v: plan.v + offset, count: block.count, alpha: block.alpha,
                         beta1: Float(beta1), beta2: Float(beta2),
                         correction1: plan.correction1, correction2: plan.correction2, epsilon: Float(epsilon),
                         decay: lambda)
        return true
    }

    @inline(__always)
    public func apply(_ plan: Plan, to block: UpdateBlock) {
        let offset = block.range.lowerBound
        Kernels.adam(block.direction, m: plan.m + offset, v: plan.v + offset, count: block.count,
                     beta1: Float(beta1), beta2: Float(beta2),
                     correction1: plan.correction1, correction2: plan.correction2, epsilon: Float(epsilon))
    }
}
