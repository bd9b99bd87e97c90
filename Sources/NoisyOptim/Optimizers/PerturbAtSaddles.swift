// PerturbAtSaddles: the link after the learning rate that adds Jin et al.'s uniform-ball kick
// to the update of a step whose gradient is small, at most once every t_thres + 1 steps.

import Foundation

/// Adds ξₜ ~ Uniform(B₀(r)) to the update Δθ of a step that `SaddlePerturbation`'s rule selects
/// (‖gₜ‖ ≤ g_thres, no kick in the last t_thres steps), in parameter units:
///
///     θₜ₊₁ = θₜ − η·∇f(θₜ) + ξₜ       on a perturbed step,   θₜ − η·∇f(θₜ) otherwise
///
/// Algorithm 2 of Jin et al. 2017 moves to x̃ + ξ first and takes that step's gradient there; here
/// the kick rides on the update of the step that detected the small gradient, so the *next*
/// gradient is the first one taken at the perturbed point. The two differ by η·(∇f(x̃ + ξ) − ∇f(x̃)),
/// at most η·ℓ·r = c·r in norm, inside the ball the analysis already allows. This keeps the chain's
/// order (one gradient per step, taken before the step) and lets every noise site stand in front.
///
/// ‖g‖ is that of the gradient as the objective returned it (`StepContext.gradientNorm`): the
/// test is on ∇f, not on a clipped or noised direction. The kick costs a second generation of the
/// P normals (one pass for ‖z‖, one to add them), on perturbed steps only; other steps keep the
/// rule's fused path.
public struct PerturbAtSaddles: GradientTransform {
    /// The rule: radius, thresholds, seed.
    public let perturbation: SaddlePerturbation

    /// The stream of the normal direction z (Philox keyed by seed, step and position).
    static let directionStream: UInt64 = 0x7361_6464_6C65   // "saddle"
    /// The stream of U, the radius fraction.
    static let radiusStream: UInt64 = 0x7261_6469_7573       // "radius"

    /// Throws if r is not a normal Float32 > 0, g_thres < 0 or t_thres < 0.
    public init(_ perturbation: SaddlePerturbation) throws {
        try perturbation.validate()
        self.perturbation = perturbation
    }

    public static var stateKey: String { "saddlePerturbation" }

    /// When the last kick happened, and the key of the streams.
    public struct State: Codable, Sendable, Equatable {
        /// t_noise: the step of the last perturbation, nil before the first.
        public var lastPerturbationStep: Int?
        /// The key of the direction and radius streams.
        public var seed: UInt64
    }

    /// The step's kick: nil, or the scale r·U^{1/P}/‖z‖ that turns the stream's z into ξ.
    public struct Plan {
        let scale: Float?
        let stream: NoiseStream
        let step: Int
    }

    public var needsGradient: Bool { true }

    public func makeState(for layout: ParameterLayout) -> State {
        State(lastPerturbationStep: nil, seed: perturbation.seed)
    }

    public func validate(_ state: State, for layout: ParameterLayout) throws {
        if let last = state.lastPerturbationStep, last < 0 {
            throw OptimizerError.stateMismatch(part: "saddlePerturbation.lastPerturbationStep",
                                               expected: "nil or a step ≥ 0", found: "\(last)")
        }
    }

    public func plan(_ state: inout State, context: StepContext) -> Plan {
        let stream = NoiseStream(seed: state.seed, stream: Self.directionStream)
        let t = context.step
        guard let norm = context.gradientNorm else { fail("PerturbAtSaddles needs the gradient norm (needsGradient)") }
        let quiet = state.lastPerturbationStep.map { t - $0 > perturbation.waitSteps } ?? true
        guard quiet && Double(norm) <= perturbation.gradientThreshold else { return Plan(scale: nil, stream: stream, step: t) }
        state.lastPerturbationStep = t
        let n = context.layout.count
        let length = Self.normalNorm(stream, step: t, count: n)
        let fraction = Self.radiusFraction(seed: state.seed, step: t, dimension: n)
        return Plan(scale: Float(perturbation.radius * fraction / length), stream: stream, step: t)
    }

    /// U^{1/P} with U ~ Uniform(0, 1] drawn from the radius stream of step t: the radius of a
    /// uniform point of the unit P-ball, P[‖ξ‖ ≤ s·r] = sᴾ.
    static func radiusFraction(seed: UInt64, step: Int, dimension: Int) -> Double {
        var generator = Philox4x32(seed: NoiseStream(seed: seed, stream: radiusStream).stepKey(step))
        let u = Double((generator.next() >> 11) + 1) * 0x1p-53   // (0, 1]: U = 0 would give ξ = 0
        return exp(log(u) / Double(dimension))
    }

    /// ‖z‖ of the step's P normals, generated block by block into a stack buffer (perturbed steps only).
    static func normalNorm(_ stream: NoiseStream, step: Int, count: Int) -> Double {
        let size = RandomStream.blockSize
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: size) { scratch in
            var squares = 0.0
            var position = 0
            while position < count {
                let run = UnsafeMutableBufferPointer(rebasing: scratch[0..<min(size, count - position)])
                stream.fillNormal(run, step: step, position: position)
                squares += Kernels.dot(run.baseAddress!, run.baseAddress!, count: run.count)
                position += run.count
            }
            return squares.squareRoot()
        }
    }

    public func isIdentity(_ plan: Plan) -> Bool { plan.scale == nil }

    @inline(__always)
    public func apply(_ plan: Plan, to block: UpdateBlock) {
        guard let scale = plan.scale else { return }
        plan.stream.addNormal(to: block.directionBuffer, standardDeviation: scale, step: plan.step,
                              position: block.range.lowerBound)
    }
}
