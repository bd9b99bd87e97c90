// SGHMC: stochastic-gradient Hamiltonian Monte Carlo (Chen, Fox and Guestrin 2014) in its practical
// parameterization, as a velocity link in parameter units after the learning rate.

/// SGHMC's velocity with friction and noise, in parameter units (Chen, Fox and Guestrin 2014):
///
///     v ← (1 − α)·v + Δ + N(0, 2(α − β̂)·lrₜ·T),   Δθ ← v
///
/// where Δ = −lrₜ·∇Ũ is what reaches this link after the learning rate, so with lrₜ = η it is the
/// paper's v ← v − η∇Ũ − αv + N(0, 2(α − β̂)η). v starts at 0 and is never resampled (the
/// practical form); to resample it as the paper's HMC steps do, restore a copy of the state with
/// `update.velocity` set to fresh values.
public struct SGHMCVelocity: GradientTransform {
    /// α ∈ (0, 1], the friction: the fraction of v forgotten per step (the paper's ηC with M = I).
    public let friction: Double
    /// β̂ ∈ [0, α], the estimate of the stochastic gradient's noise (ηB̂/2); it is subtracted from
    /// the injected noise so that the total matches the friction.
    public let gradientNoiseEstimate: Double
    /// T ≥ 0: the injected variance is scaled by T, so the dynamics sample exp(−Ũ/T).
    public let temperature: Double
    /// The key of the noise stream.
    public let seed: UInt64

    /// The stream of SGHMC's noise, apart from the library's other streams of the same seed.
    static let noiseStream: UInt64 = 0x7367_686D_6321

    /// Throws unless 0 < α ≤ 1, 0 ≤ β̂ ≤ α and T ≥ 0 (as Float32).
    public init(friction: Double = 0.1, gradientNoiseEstimate: Double = 0, temperature: Double = 1, seed: UInt64) throws {
        try Hyperparameter.require(friction > 0 && Float(friction) >= Float.leastNormalMagnitude && Float(friction) <= 1,
                                   "friction", friction, "0 < friction ≤ 1 (a normal Float32)")
        try Hyperparameter.require(gradientNoiseEstimate >= 0 && gradientNoiseEstimate <= friction
                                   && Hyperparameter.isZeroOrNormalFloat(gradientNoiseEstimate),
                                   "gradientNoiseEstimate", gradientNoiseEstimate, "0 ≤ gradientNoiseEstimate ≤ friction = \(friction)")
        try Hyperparameter.nonNegative(temperature, "temperature")
        self.friction = friction
        self.gradientNoiseEstimate = gradientNoiseEstimate
        self.temperature = temperature
        self.seed = seed
    }

    public static var stateKey: String { "sghmc" }

    /// v and the noise stream's key.
    public struct State: Codable, Sendable, Equatable {
        /// v, in parameter units.
        public var velocity: Tensor
        /// The key of the noise stream.
        public var seed: UInt64
    }

    /// The step's buffer and scalars.
    public struct Plan {
        let velocity: StepBuffer
        let keep: Float
        let sigma: Float
        let stream: NoiseStream
        let step: Int
    }

    public func makeState(for layout: ParameterLayout) -> State { State(velocity: .zeros([layout.count]), seed: seed) }

    public func validate(_ state: State, for layout: ParameterLayout) throws {
        try state.velocity.validateStateBuffer(part: "sghmc.velocity", count: layout.count)
    }

    public func plan(_ state: inout State, context: StepContext) -> Plan {
        let variance = 2 * (friction - gradientNoiseEstimate) * context.learningRate * temperature
        return Plan(velocity: state.velocity.openForStep(count: context.layout.count, owner: "sghmc.velocity"),
                    keep: Float(1 - friction), sigma: Float(variance.squareRoot()),
                    stream: NoiseStream(seed: state.seed, stream: Self.noiseStream), step: context.step)
    }

    @inline(__always)
    public func apply(_ plan: Plan, to block: UpdateBlock) {
        let d = block.direction, v = plan.velocity.pointer(for: block.range)
        let keep = Vector(repeating: plan.keep)
        guard plan.sigma != 0 else {
            forEachLaneGroup(count: block.count) { i, lanes in
                let velocity = keep * loadLanes(v + i, lanes) + loadLanes(d + i, lanes)
                storeLanes(velocity, v + i, lanes)
                storeLanes(velocity, d + i, lanes)
            }
            return
        }
        let sigma = Vector(repeating: plan.sigma)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: block.count) { noise in
            plan.stream.fillNormal(noise, step: plan.step, position: block.range.lowerBound)
            let z = noise.baseAddress!
            forEachLaneGroup(count: block.count) { i, lanes in
                let velocity = keep * loadLanes(v + i, lanes) + loadLanes(d + i, lanes) + sigma * loadLanes(z + i, lanes)
                storeLanes(velocity, v + i, lanes)
                storeLanes(velocity, d + i, lanes)
            }
        }
    }
}

/// Stochastic-gradient Hamiltonian Monte Carlo (Chen, Fox and Guestrin 2014, "Stochastic Gradient
/// Hamiltonian Monte Carlo", ICML), in the paper's practical parameterization:
///
///     v ← v − η·∇Ũ(θ) − α·v + N(0, 2(α − β̂)·η·T)
///     θ ← θ + v
///
/// η is the learning rate (the paper's ε²/M), α the friction (εC/M), β̂ the estimate of the
/// stochastic gradient's noise (εB̂/2M; 0, the usual choice, leaves the friction to absorb it).
/// T ≥ 0 scales the injected variance, sampling exp(−Ũ/T): T = 1 the posterior,
/// T = 0 heavy-ball momentum v ← (1 − α)v − η∇Ũ (SGD with momentum 1 − α, rounded differently).
/// α = 1 with β̂ = 0 forgets v every step: SGLD with ε = 2η.
///
/// The rule is coupled weight decay (a Gaussian prior) in gradient units; the velocity is a link
/// after the learning rate (`SGHMCVelocity`), so every noise site combines with it.
///
/// ```swift
/// var sghmc = try SGHMC(layout: layout, learningRate: 1e-5, friction: 0.05, seed: 5)
///     .withSampling(SGDSampling(exampleCount: n, batchSize: 100), seed: 6)
/// ```
public typealias SGHMC = ChainOptimizer<AddWeightDecay, SGHMCVelocity>

extension ChainOptimizer where Rule == AddWeightDecay, Update == SGHMCVelocity {
    /// SGHMC for parameters laid out as `layout`.
    ///
    /// - Parameters:
    ///   - learningRate: ηₜ ≥ 0, a number or a `Schedule`.
    ///   - friction: α ∈ (0, 1].
    ///   - gradientNoiseEstimate: β̂ ∈ [0, α].
    ///   - temperature: T ≥ 0.
    ///   - weightDecay: λ ≥ 0, a Gaussian prior N(0, I/λ) added to ∇Ũ.
    ///   - seed: the key of the noise stream.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, learningRate: any ScheduleConvertible, friction: Double = 0.1,
                gradientNoiseEstimate: Double = 0, temperature: Double = 1, weightDecay: Double = 0,
                weightDecayFilter: ParameterFilter = .all, seed: UInt64) throws {
        try self.init(layout: layout, rule: try AddWeightDecay(weightDecay, filter: weightDecayFilter),
                      update: try SGHMCVelocity(friction: friction, gradientNoiseEstimate: gradientNoiseEstimate,
                                                temperature: temperature, seed: seed),
                      learningRate: learningRate)
    }
}
