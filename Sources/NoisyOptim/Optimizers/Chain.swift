// Chain: two transforms run one after the other, block by block, so a chain of any length costs
// one memory pass; `chain(...)` builds longer ones, and `Identity` is the empty chain.

/// `first`, then `second`, block by block.
public struct Chain<First: GradientTransform, Second: GradientTransform>: GradientTransform {
    /// Runs first.
    public let first: First
    /// Runs second, on what `first` left.
    public let second: Second

    /// `first` then `second`. Stops if `second` needs the gradient norm (that norm is of the
    /// gradient entering the chain, which `second` does not see), or if two parts share a state
    /// name (a checkpoint could not tell them apart).
    public init(_ first: First, _ second: Second) {
        check(!second.needsGradientNorm,
              "\(Second.self) reads the gradient's norm, so it must come first in a chain")
        let shared = Set(First.partKeys).intersection(Second.partKeys)
        check(shared.isEmpty, "two parts of a chain are both named \(shared.sorted()) in its state; "
              + "give one of them another `stateKey`")
        self.first = first
        self.second = second
    }

    /// The states of both parts. Encoded flat, one named part per link, however the chain nests.
    public struct State: Codable, Sendable, Equatable {
        /// `first`'s state.
        public var first: First.State
        /// `second`'s state.
        public var second: Second.State

        public init(first: First.State, second: Second.State) {
            self.first = first
            self.second = second
        }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: StatePartKey.self)
            self = try Chain.decodeParts(from: container)
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: StatePartKey.self)
            try Chain.encodeParts(self, into: &container)
        }
    }

    /// Both plans, and what they say about fusing, worked out once per step rather than per block.
    public struct Plan {
        let first: First.Plan
        let second: Second.Plan
        let firstIsIdentity: Bool
        let secondIsIdentity: Bool
        let secondScale: Float?
    }

    public static var stateKey: String { "chain" }

    public static var partKeys: [String] { First.partKeys + Second.partKeys }

    public static func encodeParts(_ state: State, into container: inout KeyedEncodingContainer<StatePartKey>) throws {
        try First.encodeParts(state.first, into: &container)
        try Second.encodeParts(state.second, into: &container)
    }

    public static func decodeParts(from container: KeyedDecodingContainer<StatePartKey>) throws -> State {
        State(first: try First.decodeParts(from: container), second: try Second.decodeParts(from: container))
    }

    public var needsGradientNorm: Bool { first.needsGradientNorm }

    /// Either part's: the gradient a part reads is the step's, not its input, so any link may ask.
    public var needsGradient: Bool { first.needsGradient || second.needsGradient }

    public func makeState(for layout: ParameterLayout) -> State {
        State(first: first.makeState(for: layout), second: second.makeState(for: layout))
    }

    public func validate(_ state: State, for layout: ParameterLayout) throws {
        try first.validate(state.first, for: layout)
        try second.validate(state.second, for: layout)
    }

    public func plan(_ state: inout State, context: StepContext) -> Plan {
        let a = first.plan(&state.first, context: context), b = second.plan(&state.second, context: context)
        return Plan(first: a, second: b, firstIsIdentity: first.isIdentity(a), secondIsIdentity: second.isIdentity(b),
                    secondScale: second.scaleFactor(b))
    }

    @inline(__always)
    public func apply(_ plan: Plan, to block: UpdateBlock) {
        first.apply(plan.first, to: block)
        second.apply(plan.second, to: block)
    }

    /// Defers the last scaling of the chain: θ + c·d rounds c·d once, exactly as scaling d and
    /// adding it would, so both give the same bits.
    @inline(__always)
    public func applyDeferringScale(_ plan: Plan, to block: UpdateBlock) -> Float {
        let pending = first.applyDeferringScale(plan.first, to: block)
        if plan.secondIsIdentity { return pending }
        if pending != 1 { Kernels.scale(block.direction, by: pending, count: block.count) }
        return second.applyDeferringScale(plan.second, to: block)
    }

    public func isIdentity(_ plan: Plan) -> Bool { plan.firstIsIdentity && plan.secondIsIdentity }

    public func scaleFactor(_ plan: Plan) -> Float? {
        if plan.firstIsIdentity { return plan.secondScale }
        if plan.secondIsIdentity { return first.scaleFactor(plan.first) }
        return nil
    }

    /// Fuses when at most one part does anything this step — that part's fused kernel runs alone —
    /// or when the second part only scales (the learning rate), folded into the first's step size,
    /// or when the second part is decay on every parameter that the first's kernel folds in
    /// (AdamW), or when the first part is a prelude (added noise) and the second fuses on its
    /// direction or does nothing: lane by lane when the block asks for it
    /// (`FusedBlock.interleavesPrelude`) and the second has that form, else through the scratch.
    @inline(__always)
    public func applyFused(_ plan: Plan, to block: FusedBlock) -> Bool {
        if plan.firstIsIdentity { return second.applyFused(plan.second, to: block) }
        if plan.secondIsIdentity {
            if first.applyFused(plan.first, to: block) { return true }
            // A prelude on plain descent (noisy SGD without momentum): its direction, then θ + α·d.
            guard block.scratch != nil else { return false }
            if block.interleavesPrelude, first.applyAsPrelude(plan.first, to: block, updating: DescentLanes(block)) { return true }
            guard first.applyAsPrelude(plan.first, to: block) else { return false }
            block.afterPrelude().descend()
            return true
        }
        // Folding c into α = 1 keeps the bits of the general path (θ + round(c·d)); a second fold
        // would round α·c first, so only the outermost scale folds.
        if block.alpha == 1, let factor = plan.secondScale {
            return first.applyFused(plan.first, to: block.scaled(by: factor))
        }
        if let lambda = second.decoupledDecay(plan.second), first.canFuse(plan.first, alpha: block.alpha, decaying: lambda) {
            let fused = first.applyFused(plan.first, to: block, decaying: lambda)
            check(fused, "\(First.self).canFuse(decaying:) said yes but applyFused(decaying:) did not fuse")
            return true
        }
        if block.scratch != nil, second.canFuse(plan.second, alpha: block.alpha) {
            // Lane by lane on large vectors when both parts can (see LaneUpdate.swift), else through the scratch.
            if block.interleavesPrelude,
               second.applyFused(plan.second, to: block.afterPrelude(), from: PreludeSource(prelude: first, plan: plan.first, block: block)) {
                return true
            }
            if first.applyAsPrelude(plan.first, to: block) {
                let fused = second.applyFused(plan.second, to: block.afterPrelude())
                check(fused, "\(Second.self).canFuse said yes but applyFused did not fuse")
                return true
            }
        }
        return false
    }

    /// As `applyFused(_:to:)` without a prelude: the part that acts, or the first with the second's
    /// scale folded into α.
    @inline(__always)
    public func applyFused<Source: DirectionSource>(_ plan: Plan, to block: FusedBlock, from source: Source) -> Bool {
        if plan.firstIsIdentity { return second.applyFused(plan.second, to: block, from: source) }
        if plan.secondIsIdentity { return first.applyFused(plan.first, to: block, from: source) }
        if block.alpha == 1, let factor = plan.secondScale {
            return first.applyFused(plan.first, to: block.scaled(by: factor), from: source)
        }
        return false
    }

    public func canFuse(_ plan: Plan, alpha: Float) -> Bool {
        if plan.firstIsIdentity { return second.canFuse(plan.second, alpha: alpha) }
        if plan.secondIsIdentity { return first.canFuse(plan.first, alpha: alpha) }
        if alpha == 1, let factor = plan.secondScale { return first.canFuse(plan.first, alpha: factor) }
        if let lambda = second.decoupledDecay(plan.second) { return first.canFuse(plan.first, alpha: alpha, decaying: lambda) }
        return false
    }

    /// A prelude when only one part acts and it is one.
    public func applyAsPrelude(_ plan: Plan, to block: FusedBlock) -> Bool {
        if plan.firstIsIdentity { return second.applyAsPrelude(plan.second, to: block) }
        if plan.secondIsIdentity { return first.applyAsPrelude(plan.first, to: block) }
        return false
    }

    /// The lane-by-lane prelude when only one part acts and it is one.
    @inline(__always)
    public func applyAsPrelude<Update: LaneUpdate>(_ plan: Plan, to block: FusedBlock, updating update: Update) -> Bool {
        if plan.firstIsIdentity { return second.applyAsPrelude(plan.second, to: block, updating: update) }
        if plan.secondIsIdentity { return first.applyAsPrelude(plan.first, to: block, updating: update) }
        return false
    }
}

/// `a` then `b`.
public func chain<A: GradientTransform, B: GradientTransform>(_ a: A, _ b: B) -> Chain<A, B> { Chain(a, b) }

/// `a`, `b`, then `c`.
public func chain<A: GradientTransform, B: GradientTransform, C: GradientTransform>(
    _ a: A, _ b: B, _ c: C
) -> Chain<Chain<A, B>, C> { Chain(Chain(a, b), c) }

/// `a`, `b`, `c`, then `d`.
public func chain<A: GradientTransform, B: GradientTransform, C: GradientTransform, D: GradientTransform>(
    _ a: A, _ b: B, _ c: C, _ d: D
) -> Chain<Chain<Chain<A, B>, C>, D> { Chain(Chain(Chain(a, b), c), d) }

/// `a`, `b`, `c`, `d`, then `e`.
public func chain<A: GradientTransform, B: GradientTransform, C: GradientTransform, D: GradientTransform, E: GradientTransform>(
    _ a: A, _ b: B, _ c: C, _ d: D, _ e: E
) -> Chain<Chain<Chain<Chain<A, B>, C>, D>, E> { Chain(Chain(Chain(Chain(a, b), c), d), e) }

// MARK: - Identity

/// Leaves the direction as it is: plain gradient descent when it is the whole chain.
public struct Identity: GradientTransform {
    /// The identity transform.
    public init() {}
    public static var stateKey: String { "identity" }
    /// Stateless: nothing to checkpoint.
    public typealias State = NoState
    public func makeState(for layout: ParameterLayout) -> State { NoState() }
    public func plan(_ state: inout State, context: StepContext) {}
    @inline(__always) public func apply(_ plan: Void, to block: UpdateBlock) {}
    public func isIdentity(_ plan: Void) -> Bool { true }
}

