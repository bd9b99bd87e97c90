// ClipGradient: clipping by global norm or by value, the first stage of a step after the gradient.

/// How a gradient is clipped.
public enum GradientClipping: Codable, Sendable, Hashable {
    /// g ← g · c/(‖g‖₂ + 10⁻⁶) when that factor is below 1, with ‖g‖₂ the norm of the whole flat
    /// gradient (PyTorch's `clip_grad_norm_`). The norm pass doubles as the finiteness check.
    case globalNorm(Double)
    /// gᵢ ← min(max(gᵢ, −c), c) (PyTorch's `clip_grad_value_`).
    case value(Double)
}

/// Clips the direction as `clipping` says; does nothing when `clipping` is nil.
///
/// Clipping by global norm reads the norm of the gradient entering the step, so it must be the
/// first transform of a chain.
public struct ClipGradient: GradientTransform {
    /// The rule, or nil for no clipping.
    public let clipping: GradientClipping?

    /// Clipping by `clipping`. Throws if its threshold is not a finite value > 0.
    public init(_ clipping: GradientClipping?) throws {
        switch clipping {
        case let .globalNorm(c): try Hyperparameter.positive(c, "maxNorm")
        case let .value(c): try Hyperparameter.positive(c, "clipValue")
        case nil: break
        }
        self.clipping = clipping
    }

    public static var stateKey: String { "clip" }

    /// Stateless: nothing to checkpoint.

    public typealias State = NoState

    /// What this step does: nothing, scale every element, or clamp each.
    public enum Plan {
        case none
        case scale(Float)
        case clamp(Float)
    }

    public var needsGradientNorm: Bool {
        if case .globalNorm = clipping { return true }
        return false
    }

    public func makeState(for layout: ParameterLayout) -> State { NoState() }

    public func plan(_ state: inout State, context: StepContext) -> Plan {
        switch clipping {
        case nil:
            return .none
        case let .value(c):
            return .clamp(Float(c))
        case let .globalNorm(c):
            let factor = Float(c) / (context.gradientNorm! + 1e-6)
            return factor < 1 ? .scale(factor) : .none
        }
    }

    public func isIdentity(_ plan: Plan) -> Bool {
        if case .none = plan { return true }
        return false
    }

    @inline(__always)
    public func apply(_ plan: Plan, to block: UpdateBlock) {
        switch plan {
        case .none: break
        case let .scale(s): Kernels.scale(block.direction, by: s, count: block.count)
        case let .clamp(c): Kernels.clamp(block.direction, limit: c, count: block.count)
        }
    }
}
