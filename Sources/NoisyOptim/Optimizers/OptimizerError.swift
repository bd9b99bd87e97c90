// OptimizerError: the typed errors of optimizer construction and of a step, and the checks that
// raise them.

/// Why an optimizer could not be built or could not take a step.
public enum OptimizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A hyperparameter is outside its domain, for example a negative learning rate or
    /// momentum ∉ [0, 1). Thrown by the optimizer's initializer, so a bad value never reaches a step.
    case invalidHyperparameter(name: String, value: Double, requirement: String)
    /// The gradient of step `step` (counted from 0) holds `count` NaN or infinite values, and the
    /// policy is `.throwError`. The parameters and the optimizer state are unchanged.
    case nonFiniteGradient(step: Int, count: Int)
    /// A restored state does not fit the optimizer: `part` of it was `found` where the optimizer
    /// needs `expected` (a buffer size, a step count). The optimizer is unchanged.
    case stateMismatch(part: String, expected: String, found: String)
    /// A schedule gave a value outside its domain at step `step` (a `custom` closure that turns
    /// negative, a growing exponential past 2⁻²⁴·`Float.greatestFiniteMagnitude` ≈ 2·10³¹). Thrown by the step before
    /// anything is written: the parameters and the optimizer state are unchanged.
    case invalidScheduleValue(name: String, step: Int, value: Double, requirement: String)

    public var description: String {
        switch self {
        case let .invalidHyperparameter(name, value, requirement):
            return "invalid hyperparameter \(name) = \(value): requires \(requirement)"
        case let .nonFiniteGradient(step, count):
            return "the gradient of step \(step) has \(count) non-finite value(s); parameters and state are unchanged"
        case let .stateMismatch(part, expected, found):
            return "the restored state does not fit this optimizer: \(part) is \(found), the optimizer needs \(expected)"
        case let .invalidScheduleValue(name, step, value, requirement):
            return "the \(name) schedule gave \(value) at step \(step): requires \(requirement); parameters and state are unchanged"
        }
    }
}

/// What a step does with a gradient that contains NaN or ±∞.
///
/// The check costs nothing extra for a gradient the tape produced: the tape checks each
/// parameter segment's gradient right after the pullback that finishes it, while it is in cache,
/// and the gradient carries the result (until something writes to it). A gradient from elsewhere
/// is read once more by the step before anything is written.
public enum NonFiniteGradientPolicy: String, Codable, Sendable, Hashable {
    /// Throw `OptimizerError.nonFiniteGradient`, leaving parameters and state unchanged (the default).
    case throwError
    /// Return without touching parameters or state: the step does not count, so the step counter,
    /// the velocities and every random stream stay where they were (the next attempt uses the same
    /// step index and so the same noise). `StepReport.applied` is `false`.
    case skipStep
    /// Do not look: non-finite values flow into the parameters, as in PyTorch. Saves the read pass
    /// over the gradient that the check costs for a gradient the tape did not produce (about a
    /// fifth of a momentum step's memory traffic) when no global-norm clipping pays for it
    /// already; for a tape's gradient the check was already made as it was produced.
    case propagate
}

// MARK: - Validation

/// Checks of hyperparameter domains that throw `invalidHyperparameter` with the value in it.
///
/// Values are checked in the precision the kernels use: a Double that is fine but becomes 0, 1 or
/// ∞ when rounded to Float32 would silently change the update, so it is refused.
enum Hyperparameter {
    /// The largest scale (learning rate, decay, noise scale, clip threshold) accepted:
    /// 2⁻²⁴ · Float32's largest finite value ≈ 2.03·10³¹. A step multiplies such a value by a
    /// gradient, a parameter or a normal sample; the margin keeps the product finite for factors up
    /// to 2²⁴ ≈ 1.7·10⁷, so one step of a finite problem cannot overflow because of the value alone.
    static let largest = Double(Float.greatestFiniteMagnitude) * 0x1p-24

    static func require(_ condition: Bool, _ name: String, _ value: Double, _ requirement: String) throws {
        if !condition || value.isNaN {
            throw OptimizerError.invalidHyperparameter(name: name, value: value, requirement: requirement)
        }
    }

    /// 0 or a positive value that stays a normal Float32: a smaller one would round to 0 or a
    /// subnormal and the option would silently do nothing or lose precision.
    static func isZeroOrNormalFloat(_ value: Double) -> Bool {
        value == 0 || Float(value) >= Float.leastNormalMagnitude
    }

    /// A scale such as a learning rate, a weight decay or a noise scale: 0 or a normal Float32 up
    /// to `largest`.
    static func nonNegative(_ value: Double, _ name: String) throws {
        try require(value >= 0 && value <= largest && isZeroOrNormalFloat(value), name, value,
                    "0 or a normal Float32 from \(Float.leastNormalMagnitude) to \(Float(largest))")
    }

    /// A threshold or ε: a normal Float32 > 0 up to `largest` (ε below Float32's smallest normal
    /// gives 0/0 on a zero gradient).
    static func positive(_ value: Double, _ name: String) throws {
        try require(value > 0 && value <= largest && isZeroOrNormalFloat(value), name, value,
                    "a normal Float32 from \(Float.leastNormalMagnitude) to \(Float(largest))")
    }

    /// An exponent used in Double arithmetic only (γ of the noise annealing): finite and ≥ 0.
    static func nonNegativeExponent(_ value: Double, _ name: String) throws {
        try require(value >= 0 && value.isFinite, name, value, "a finite value ≥ 0")
    }

    /// A decay rate such as momentum or Adam's β: 0 ≤ value and value < 1 after rounding to Float32
    /// (1 − 10⁻¹⁰ rounds to exactly 1, which stops the average from forgetting).
    static func unitInterval(_ value: Double, _ name: String) throws {
        try require(value >= 0 && Float(value) < 1 && isZeroOrNormalFloat(value), name, value,
                    "0 ≤ \(name) < 1 in Float32 (at most \(Float(1).nextDown))")
    }

    /// A schedule over its whole horizon: the values it is given (initial, final, warm-up start)
    /// must pass `check`, and its shape must keep every later value ≥ 0 (see
    /// `Schedule.validate(_:_:)`). A closure can only be sampled here; a step checks its value
    /// again and throws `invalidScheduleValue` instead of using a bad one.
    static func schedule(_ schedule: Schedule, _ name: String, _ check: (Double, String) throws -> Void) throws {
        try schedule.validate(name, check)
    }
}
