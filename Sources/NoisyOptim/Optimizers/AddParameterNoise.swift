// AddParameterNoise: the noise site after the learning rate, in parameter units — Langevin
// dynamics' N(0, 2·lrₜ·T) and Anti-PGD's anti-correlated increments ξₜ₊₁ − ξₜ.

/// Gaussian noise added to the update itself, after the learning rate: θ ← θ + Δθ + N(0, sₜ²I).
///
/// The scale is either a schedule of its own, sₜ = σₜ, or the Langevin scale sₜ = √(2·lrₜ·T):
/// with lrₜ = εₜ/2 that is the update of stochastic-gradient Langevin dynamics (Welling & Teh
/// 2011, "Bayesian Learning via Stochastic Gradient Langevin Dynamics", ICML),
/// θ ← θ − (εₜ/2)·∇Ũ(θ) + N(0, εₜ·T), which samples exp(−Ũ/T) for small steps (T = 1: the posterior).
public struct ParameterNoise: Codable, Sendable {
    /// How large the noise of step t is.
    public enum Scale: Codable, Sendable {
        /// sₜ = σₜ, in parameter units.
        case standardDeviation(Schedule)
        /// sₜ = √(2·lrₜ·T): Langevin dynamics at temperature T ≥ 0.
        case langevin(temperature: Double)
    }

    /// The scale rule.
    public var scale: Scale
    /// The key of the noise stream.
    public var seed: UInt64

    /// Noise of standard deviation σₜ, keyed by `seed`.
    public init(standardDeviation: Schedule, seed: UInt64) {
        self.scale = .standardDeviation(standardDeviation)
        self.seed = seed
    }

    /// Langevin noise N(0, 2·lrₜ·T) at temperature T (1 = the posterior).
    public static func langevin(temperature: Double = 1, seed: UInt64) -> ParameterNoise {
        var noise = ParameterNoise(standardDeviation: 0, seed: seed)
        noise.scale = .langevin(temperature: temperature)
        return noise
    }

    func validate() throws {
        switch scale {
        case let .standardDeviation(sigma): try Hyperparameter.schedule(sigma, "parameterNoise", Hyperparameter.nonNegative)
        case let .langevin(temperature): try Hyperparameter.nonNegative(temperature, "temperature")
        }
    }

    /// sₜ for a step of learning rate `learningRate`, computed in Double and rounded once.
    func standardDeviation(at t: Int, learningRate: Double) -> Float {
        switch scale {
        case let .standardDeviation(sigma):
            let value = sigma.value(at: t)
            check(value >= 0, "the parameter-noise σ schedule gave \(value) at step \(t); it must be ≥ 0")
            return Float(value)
        case let .langevin(temperature):
            return Float((2 * learningRate * temperature).squareRoot())
        }
    }
}

/// The parameter-noise link at the end of every `ChainOptimizer`'s chain: adds N(0, sₜ²) to the
/// update (`ParameterNoise`) and, for Anti-PGD, the increment ξₜ₊₁ − ξₜ of an anti-correlated
/// `Perturbation`. With neither it does nothing, so the step keeps its fused fast path.
public struct AddParameterNoise: GradientTransform {
    /// The Gaussian noise on the update, or nil.
    public let noise: ParameterNoise?
    /// An anti-correlated perturbation whose increments move the iterate, or nil.
    public let antiCorrelated: Perturbation?

    /// Throws if a scale can be negative. A `perturbation` that is not anti-correlated is the
    /// optimizer's business (it moves the gradient's point) and is ignored here.
    public init(_ noise: ParameterNoise?, perturbation: Perturbation? = nil) throws {
        try noise?.validate()
        try perturbation?.validate()
        self.noise = noise
        self.antiCorrelated = perturbation?.antiCorrelated == true ? perturbation : nil
    }

    public static var stateKey: String { "parameterNoise" }

    /// The keys of both streams.
    public struct State: Codable, Sendable, Equatable {
        /// The key of the Gaussian noise stream.
        public var seed: UInt64
        /// The key of the anti-correlated perturbation's stream.
        public var perturbationSeed: UInt64
    }

    /// The step's scales and keys.
    public struct Plan {
        let sigma: Float
        let stream: NoiseStream
        let step: Int
        let perturbation: Perturbation?
        let current: (range: Range<Int>, sigma: Float)
        let next: (range: Range<Int>, sigma: Float)
    }

    public func makeState(for layout: ParameterLayout) -> State {
        State(seed: noise?.seed ?? 0, perturbationSeed: antiCorrelated?.seed ?? 0)
    }

    public func plan(_ state: inout State, context: StepContext) -> Plan {
        let sigma = noise?.standardDeviation(at: context.step, learningRate: context.learningRate) ?? 0
        var perturbation = antiCorrelated
        perturbation?.seed = state.perturbationSeed
        let none = (range: 0..<0, sigma: Float(0))
        return Plan(sigma: sigma, stream: RandomStream.parameterNoise.stream(seed: state.seed), step: context.step,
                    perturbation: perturbation,
                    current: perturbation?.support(at: context.step, layout: context.layout) ?? none,
                    next: perturbation?.support(at: context.step + 1, layout: context.layout) ?? none)
    }

    public func isIdentity(_ plan: Plan) -> Bool {
        plan.sigma == 0 && (plan.perturbation == nil || (plan.current.sigma == 0 && plan.next.sigma == 0))
    }

    @inline(__always)
    public func apply(_ plan: Plan, to block: UpdateBlock) {
        if plan.sigma != 0 {
            plan.stream.addNormal(to: block.directionBuffer, standardDeviation: plan.sigma, step: plan.step,
                                  position: block.range.lowerBound)
        }
        guard let perturbation = plan.perturbation else { return }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: block.count + 4) { scratch in
            perturbation.add(to: block.direction, block: block.range, step: plan.step + 1, sign: 1,
                             support: plan.next, scratch: scratch.baseAddress!)
            perturbation.add(to: block.direction, block: block.range, step: plan.step, sign: -1,
                             support: plan.current, scratch: scratch.baseAddress!)
        }
    }
}
