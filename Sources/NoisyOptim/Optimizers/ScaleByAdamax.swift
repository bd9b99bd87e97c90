// ScaleByAdamax and Adamax: Adam with an exponentially weighted infinity norm in place of the
// second moment, as PyTorch's `Adamax` computes it.

import Foundation

/// Adamax's scaling (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", ICLR, §7.1),
/// in PyTorch's form — ε inside the maximum, only the first moment bias-corrected — with t counted
/// from 0:
///
///     m ← β₁m + (1 − β₁)d,   u ← max(β₂u, |d| + ε)
///     d ← m / ((1 − β₁ᵗ⁺¹)·u)
///
/// u ≥ ε > 0 after the first step, so the division never sees 0.
public struct ScaleByAdamax: GradientTransform {
    /// β₁, the first moment's decay.
    public let beta1: Double
    /// β₂, the decay of the running maximum u.
    public let beta2: Double
    /// ε, added to |d| inside the maximum.
    public let epsilon: Double

    /// Throws unless β₁, β₂ ∈ [0, 1) and ε > 0 (as Float32).
    ///
    /// - Parameters:
    ///   - beta1: β₁ (default 0.9).
    ///   - beta2: β₂ (default 0.999).
    ///   - epsilon: ε (default 10⁻⁸).
    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) throws {
        try Hyperparameter.unitInterval(beta1, "beta1")
        try Hyperparameter.unitInterval(beta2, "beta2")
        try Hyperparameter.positive(epsilon, "epsilon")
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public static var stateKey: String { "adamax" }

    /// The first moment and the weighted infinity norm.
    public struct State: Codable, Sendable, Equatable {
        /// m, one scalar per parameter.
        public var firstMoment: Tensor
        /// u, one scalar per parameter (0 before the first step).
        public var infinityNorm: Tensor
    }

    /// The step's bias correction and the state's buffers.
    public struct Plan {
        let m: StepBuffer
        let u: StepBuffer
        let correction1: Float
    }

    public func makeState(for layout: ParameterLayout) -> State {
        State(firstMoment: .zeros([layout.count]), infinityNorm: .zeros([layout.count]))
    }

    public func validate(_ state: State, for layout: ParameterLayout) throws {
        try state.firstMoment.validateStateBuffer(part: "adamax.firstMoment", count: layout.count)
        try state.infinityNorm.validateStateBuffer(part: "adamax.infinityNorm", count: layout.count)
    }

    public func plan(_ state: inout State, context: StepContext) -> Plan {
        // β₁ as the kernel uses it, rounded to Float (see `ScaleByAdam.plan`).
        let beta1 = Double(Float(beta1)), n = context.layout.count
        return Plan(m: state.firstMoment.openForStep(count: n, owner: "adamax.firstMoment"),
                    u: state.infinityNorm.openForStep(count: n, owner: "adamax.infinityNorm"),
                    correction1: Float(1 / (1 - pow(beta1, Double(context.step + 1)))))
    }

    @inline(__always)
    public func apply(_ plan: Plan, to block: UpdateBlock) {
        let d = block.direction, m = plan.m.pointer(for: block.range), u = plan.u.pointer(for: block.range)
        let b1 = Vector(repeating: Float(beta1)), c1 = Vector(repeating: 1 - Float(beta1))
        let b2 = Vector(repeating: Float(beta2)), e = Vector(repeating: Float(epsilon))
        let k1 = Vector(repeating: plan.correction1)
        forEachLaneGroup(count: block.count) { i, lanes in
            let g = loadLanes(d + i, lanes)
            let first = b1 * loadLanes(m + i, lanes) + c1 * g
            // |g| by clearing the sign bit: one `andps`, no per-lane call.
            let candidate = Vector(bitPattern: g.bitPattern & 0x7FFF_FFFF) + e
            var norm = b2 * loadLanes(u + i, lanes)
            norm.replace(with: candidate, where: candidate .> norm)
            storeLanes(first, m + i, lanes)
            storeLanes(norm, u + i, lanes)
            storeLanes(first / norm * k1, d + i, lanes)
        }
    }
}

/// The rule of `Adamax`: coupled weight decay, then Adamax's scaling.
public typealias AdamaxRule = Chain<AddWeightDecay, ScaleByAdamax>

/// Adamax (Kingma & Ba 2015, §7.1), PyTorch's `Adamax` with its defaults (lr 2·10⁻³, β = (0.9,
/// 0.999), ε = 10⁻⁸) and its coupled weight decay:
///
///     d ← ±g + λθ,   m ← β₁m + (1 − β₁)d,   u ← max(β₂u, |d| + ε)
///     θ ← θ − (lrₜ / (1 − β₁ᵗ⁺¹))·m/u          (t from 0)
///
/// Every noise site goes on it as on any optimizer.
public typealias Adamax = ChainOptimizer<AdamaxRule, Identity>

extension ChainOptimizer where Rule == AdamaxRule, Update == Identity {
    /// Adamax for parameters laid out as `layout`.
    ///
    /// - Parameters:
    ///   - learningRate: lrₜ ≥ 0 (default 2·10⁻³).
    ///   - beta1, beta2: the decays of m and of u, in [0, 1).
    ///   - epsilon: ε > 0, added to |d| inside the maximum.
    ///   - weightDecay: λ ≥ 0, added to the gradient as λθ (PyTorch's `Adamax(weight_decay:)`).
    ///   - weightDecayFilter: the segments that decay.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, learningRate: any ScheduleConvertible = 2e-3, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0,
                weightDecayFilter: ParameterFilter = .all) throws {
        let rule = Chain(try AddWeightDecay(weightDecay, filter: weightDecayFilter),
                         try ScaleByAdamax(beta1: beta1, beta2: beta2, epsilon: epsilon))
        try self.init(layout: layout, rule: rule, learningRate: learningRate)
    }
}
