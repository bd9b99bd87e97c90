// AddWeightDecay: d ← d + λθ on selected segments. Before momentum it is PyTorch's coupled
// `weight_decay`; after Adam's scaling it is AdamW's decoupled decay.

/// Adds λθ to the direction on the segments `filter` selects: d ← d + λθ.
///
/// Where it sits in a chain decides what it means. Before momentum or Adam (`SGD`, `Adam`) it is
/// L2 regularization folded into the gradient, PyTorch's `weight_decay`. After Adam's scaling it is
/// decoupled decay (Loshchilov & Hutter 2019, AdamW): θ ← θ − lr·(m̂/(√v̂+ε) + λθ).
public struct AddWeightDecay: GradientTransform {
    /// λ ≥ 0. λ = 0 makes the transform do nothing (not even a pass over the block).
    public let decay: Double
    /// The segments that decay.
    public let filter: ParameterFilter

    /// Decay λ on the segments `filter` selects. Throws if λ is negative or not finite.
    public init(_ decay: Double, filter: ParameterFilter = .all) throws {
        try Hyperparameter.nonNegative(decay, "weightDecay")
        self.decay = decay
        self.filter = filter
    }

    public static var stateKey: String { "weightDecay" }

    /// Stateless: nothing to checkpoint.

    public typealias State = NoState

    /// λ and the positions it covers.
    public struct Plan {
        let lambda: Float
        let ranges: [Range<Int>]
        let everything: Bool
    }

    public func makeState(for layout: ParameterLayout) -> State { NoState() }

    public func plan(_ state: inout State, context: StepContext) -> Plan {
        let ranges = decay == 0 ? [] : filter.ranges(in: context.layout)
        let everything = ranges.count == 1 && ranges[0] == 0..<context.layout.count
        return Plan(lambda: Float(decay), ranges: ranges, everything: everything)
    }

    public func isIdentity(_ plan: Plan) -> Bool { plan.lambda == 0 || plan.ranges.isEmpty }

    /// λ when it covers every parameter: a fused kernel before it (Adam's, for AdamW) can fold it in.
    public func decoupledDecay(_ plan: Plan) -> Float? { plan.lambda != 0 && plan.everything ? plan.lambda : nil }

    @inline(__always)
    public func apply(_ plan: Plan, to block: UpdateBlock) {
        guard plan.lambda != 0 else { return }
        if plan.everything {
            Kernels.addWeightDecay(block.direction, parameters: block.parameters, lambda: plan.lambda, count: block.count)
            return
        }
        block.forEachSubrange(in: plan.ranges) { offset, count in
            Kernels.addWeightDecay(block.direction + offset, parameters: block.parameters + offset, lambda: plan.lambda, count: count)
        }
    }
}
