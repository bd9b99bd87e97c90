// PreconditionedSGLD: SGLD with RMSprop's diagonal preconditioner on both the drift and the noise
// (Li, Chen, Carlson and Carin 2016), as a rule of the one optimizer.

/// pSGLD's preconditioned Langevin step, in gradient units (Li, Chen, Carlson and Carin 2016):
///
///     V ← αV + (1 − α)·d⊙d,   G = diag(1/(λ + √V))
///     d ← G·d + √(2T/lrₜ)·√G·z,   z ~ N(0, I) keyed by (seed, t, position)
///
/// so that after the learning-rate link (lrₜ = εₜ/2) the update is −(εₜ/2)·G·∇Ũ + N(0, εₜ·G·T).
/// The noise is drawn here, not at the parameter-noise site after the learning rate, because it
/// needs G and this link alone holds V; √(2T/lrₜ) times −lrₜ is √(εₜ·T) (computed in Double, lrₜ = 0
/// draws nothing). With T = 0 it is `ScaleByRMSprop(alpha: α, epsilon: λ)` bit for bit.
///
/// V is formed from the direction the rule receives, ∇Ũ after clipping and gradient noise; the
/// paper's ḡ is the mini-batch mean of ∇log p(xᵢ | θ), ∇Ũ/N up to the prior. The scale only moves
/// G by a constant factor (and λ relative to √V), which the step size absorbs.
public struct ScaleByPreconditionedLangevin: GradientTransform {
    /// α ∈ [0, 1), the decay of the squared-gradient average.
    public let alpha: Double
    /// λ > 0, added to √V (RMSprop's ε).
    public let epsilon: Double
    /// T ≥ 0.
    public let temperature: Double
    /// The key of the noise stream.
    public let seed: UInt64

    /// The stream of pSGLD's noise, apart from the library's other streams of the same seed.
    static let noiseStream: UInt64 = 0x7073_676C_6421

    /// Throws unless α ∈ [0, 1), λ > 0 and T ≥ 0 (as Float32).
    public init(alpha: Double = 0.99, epsilon: Double = 1e-5, temperature: Double = 1, seed: UInt64) throws {
        try Hyperparameter.unitInterval(alpha, "alpha")
        try Hyperparameter.positive(epsilon, "epsilon")
        try Hyperparameter.nonNegative(temperature, "temperature")
        self.alpha = alpha
        self.epsilon = epsilon
        self.temperature = temperature
        self.seed = seed
    }

    public static var stateKey: String { "psgld" }

    /// V and the noise stream's key.
    public struct State: Codable, Sendable, Equatable {
        /// V, the running average of d⊙d.
        public var squareAverage: Tensor
        /// The key of the noise stream.
        public var seed: UInt64
    }

    /// The step's buffer and scalars.
    public struct Plan {
        let v: StepBuffer
        let noiseScale: Float
        let stream: NoiseStream
        let step: Int
    }

    public func makeState(for layout: ParameterLayout) -> State {
        State(squareAverage: .zeros([layout.count]), seed: seed)
    }

    public func validate(_ state: State, for layout: ParameterLayout) throws {
        try state.squareAverage.validateStateBuffer(part: "psgld.squareAverage", count: layout.count)
    }

    public func plan(_ state: inout State, context: StepContext) -> Plan {
        let lr = context.learningRate
        let scale = lr > 0 && temperature > 0 ? Float((2 * temperature / lr).squareRoot()) : 0
        return Plan(v: state.squareAverage.openForStep(count: context.layout.count, owner: "psgld.squareAverage"),
                    noiseScale: scale, stream: NoiseStream(seed: state.seed, stream: Self.noiseStream), step: context.step)
    }

    @inline(__always)
    public func apply(_ plan: Plan, to block: UpdateBlock) {
        let d = block.direction, v = plan.v.pointer(for: block.range)
        let a = Vector(repeating: Float(alpha)), oneMinusA = Vector(repeating: 1 - Float(alpha))
        let e = Vector(repeating: Float(epsilon))
        guard plan.noiseScale != 0 else {
            // RMSprop's arithmetic, operation for operation, so T = 0 gives its bits.
            forEachLaneGroup(count: block.count) { i, lanes in
                let g = loadLanes(d + i, lanes)
                let square = a * loadLanes(v + i, lanes) + oneMinusA * (g * g)
                storeLanes(square, v + i, lanes)
                storeLanes(g / (SIMDMath.magnitudeSquareRoot(square) + e), d + i, lanes)
            }
            return
        }
        let c = Vector(repeating: plan.noiseScale)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: block.count) { noise in
            plan.stream.fillNormal(noise, step: plan.step, position: block.range.lowerBound)
            let z = noise.baseAddress!
            forEachLaneGroup(count: block.count) { i, lanes in
                let g = loadLanes(d + i, lanes)
                let square = a * loadLanes(v + i, lanes) + oneMinusA * (g * g)
                storeLanes(square, v + i, lanes)
                // G·g + c·√G·z = (g + c·z·√(λ + √V))/(λ + √V): one root and one division.
                let root = SIMDMath.magnitudeSquareRoot(square) + e
                storeLanes((g + c * loadLanes(z + i, lanes) * SIMDMath.magnitudeSquareRoot(root)) / root, d + i, lanes)
            }
        }
    }
}

/// The rule of `PreconditionedSGLD`: coupled weight decay (a Gaussian prior), then the
/// preconditioned Langevin step.
public typealias PreconditionedSGLDRule = Chain<AddWeightDecay, ScaleByPreconditionedLangevin>

/// Preconditioned SGLD (Li, Chen, Carlson and Carin 2016, "Preconditioned Stochastic Gradient
/// Langevin Dynamics for Deep Neural Networks", AAAI): SGLD with RMSprop's diagonal preconditioner,
///
///     V ← αV + (1 − α)·ḡ⊙ḡ,   G = diag(1/(λ + √V))
///     θ ← θ − (εₜ/2)·G·∇Ũ(θ) + N(0, εₜ·G·T)
///
/// with ḡ = ∇Ũ (+ λ_wd·θ) as the rule sees it (see `ScaleByPreconditionedLangevin`).
///
/// The exact sampler adds (εₜ/2)·Γ(θ), Γᵢ = Σⱼ ∂Gᵢⱼ/∂θⱼ, to the drift. It is dropped here, as in
/// the paper's experiments and common practice: it needs second derivatives, and with G built
/// from a running average it changes slowly. The cost is a bias in the stationary distribution,
/// which the paper's analysis bounds by a term that shrinks with 1 − α, so it vanishes as α → 1
/// and whenever G changes slowly; at α = 0.99 the paper treats it as negligible. It grows when V
/// averages over fewer steps than the chain takes to mix, and G then follows θ.
///
/// V starts at 0, so where the first gradients are near 0 G is up to 1/λ and the first noise
/// √(εₜ/λ) large: start away from a stationary point, or warm V up (restore a state whose
/// `rule.second.squareAverage` holds a typical ḡ⊙ḡ).
///
/// `learningRate` holds εₜ/2. Every noise site combines with it; with T = 0 it is RMSprop with
/// lr = ε/2, α and ε = λ bit for bit. Build Ũ with `posteriorPotential`.
///
/// ```swift
/// var psgld = try PreconditionedSGLD(layout: layout, stepSize: 1e-4, alpha: 0.99, epsilon: 1e-5, seed: 3)
///     .withSampling(SGDSampling(exampleCount: n, batchSize: 100), seed: 4)
/// ```
public typealias PreconditionedSGLD = ChainOptimizer<PreconditionedSGLDRule, Identity>

extension ChainOptimizer where Rule == PreconditionedSGLDRule, Update == Identity {
    /// pSGLD for parameters laid out as `layout`.
    ///
    /// - Parameters:
    ///   - stepSize: εₜ ≥ 0, the paper's step size, a number or a `Schedule`.
    ///   - alpha: α ∈ [0, 1), the decay of V (the paper uses 0.99).
    ///   - epsilon: λ > 0, the paper's regularizer of G (10⁻⁵ in its experiments).
    ///   - temperature: T ≥ 0 (1 samples the posterior).
    ///   - weightDecay: λ_wd ≥ 0, a Gaussian prior N(0, I/λ_wd) added to ∇Ũ (preconditioned too).
    ///   - seed: the key of the noise stream.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, stepSize: any ScheduleConvertible, alpha: Double = 0.99,
                epsilon: Double = 1e-5, temperature: Double = 1, weightDecay: Double = 0,
                weightDecayFilter: ParameterFilter = .all, seed: UInt64) throws {
        let epsilonSchedule = stepSize.schedule
        try Hyperparameter.schedule(epsilonSchedule, "stepSize", Hyperparameter.nonNegative)
        let rule = Chain(try AddWeightDecay(weightDecay, filter: weightDecayFilter),
                         try ScaleByPreconditionedLangevin(alpha: alpha, epsilon: epsilon, temperature: temperature, seed: seed))
        try self.init(layout: layout, rule: rule, learningRate: epsilonSchedule.halved())
    }
}
