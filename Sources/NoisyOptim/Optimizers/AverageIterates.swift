// AverageIterates: stochastic weight averaging's running mean of the iterates, kept in the
// optimizer's state and updated in the step's own pass over θ.

/// A running average of the iterates θ from step s₀ every c steps (Izmailov, Podoprikhin,
/// Garipov, Vetrov and Wilson 2018, "Averaging Weights Leads to Wider Optima and Better
/// Generalization", UAI, Algorithm 1), in the parameter-units slot of the chain. At the start of
/// step t, before its update,
///
///     if t ≥ s₀ and (t − s₀) mod c = 0:   θ_SWA ← θ_SWA + (θₜ − θ_SWA)/(n + 1),   n ← n + 1
///
/// so the average holds θ_{s₀} (the pre-trained point, Algorithm 1's initial θ_SWA), θ_{s₀+c},
/// θ_{s₀+2c}, … — each the iterate that ends a cycle of `Schedule.swa`. The iterate that ends
/// the last cycle joins at the next step; `averagedParameters(_:)` includes it without stepping.
///
/// The direction passes unchanged. On a collecting step θ's block is read while it sits in L1
/// for the update anyway, so the average costs one read and write of its own buffer every c
/// steps; the other steps keep the rule's fused path. Living in the state, the average and n are
/// checkpointed with the optimizer and resume exactly.
public struct AverageIterates: GradientTransform {
    /// s₀ ≥ 0, the first step whose θ is averaged.
    public let start: Int
    /// c ≥ 1, the steps between two collected iterates (SWA's cycle length).
    public let period: Int

    /// Averages θ at steps s₀, s₀ + c, s₀ + 2c, …
    /// - Throws: `OptimizerError.invalidHyperparameter` unless s₀ ≥ 0 and c ≥ 1.
    public init(start: Int, every period: Int = 1) throws {
        try Hyperparameter.require(start >= 0, "averagingStart", Double(start), "a step ≥ 0")
        try Hyperparameter.require(period >= 1, "averagingPeriod", Double(period), "an integer ≥ 1")
        self.start = start
        self.period = period
    }

    public static var stateKey: String { "averageIterates" }

    /// The average and how many iterates it holds.
    public struct State: Codable, Sendable, Equatable {
        /// θ_SWA, one scalar per parameter (zeros while n = 0).
        public var average: Tensor
        /// n, the iterates averaged so far.
        public var count: Int
    }

    /// The step's weight 1/(n + 1) and the average's buffer, or nil on a step that collects nothing.
    public struct Plan {
        let average: StepBuffer?
        let weight: Float
    }

    /// True if step `t` adds its θₜ to the average.
    public func collects(at t: Int) -> Bool { t >= start && (t - start) % period == 0 }

    public func makeState(for layout: ParameterLayout) -> State { State(average: .zeros([layout.count]), count: 0) }

    public func validate(_ state: State, for layout: ParameterLayout) throws {
        try state.average.validateStateBuffer(part: "averageIterates.average", count: layout.count)
        guard state.count >= 0 else {
            throw OptimizerError.stateMismatch(part: "averageIterates.count", expected: "a count ≥ 0", found: "\(state.count)")
        }
    }

    public func plan(_ state: inout State, context: StepContext) -> Plan {
        guard collects(at: context.step) else { return Plan(average: nil, weight: 0) }
        state.count += 1
        return Plan(average: state.average.openForStep(count: context.layout.count, owner: "averageIterates"),
                    weight: Float(1 / Double(state.count)))
    }

    public func isIdentity(_ plan: Plan) -> Bool { plan.average == nil }

    @inline(__always)
    public func apply(_ plan: Plan, to block: UpdateBlock) {
        guard let average = plan.average else { return }
        Self.blend(average.pointer(for: block.range), toward: block.parameters, weight: plan.weight, count: block.count)
    }

    /// a ← a + w·(θ − a): the incremental mean, exact (a = θ) for w = 1.
    @inline(__always)
    static func blend(_ a: UnsafeMutablePointer<Float>, toward theta: UnsafePointer<Float>, weight: Float, count: Int) {
        let w = Vector(repeating: weight)
        forEachLaneGroup(count: count) { i, lanes in
            let current = loadLanes(a + i, lanes)
            storeLanes(current + w * (loadLanes(theta + i, lanes) - current), a + i, lanes)
        }
    }
}
