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

    public var description: String {
        switch self {
        case let .invalidHyperparameter(name, value, requirement):
            return "invalid hyperparameter \(name) = \(value): requires \(requirement)"
        case let .nonFiniteGradient(step, count):
            return "the gradient of step \(step) has \(count) non-finite value(s); parameters and state are unchanged"
        case let .stateMismatch(part, expected, found):
            return "the restored state does not fit this optimizer: \(part) is \(found), the optimizer needs \(expected)"
        }
    }
}

/// What a step does with a gradient that contains NaN or ±∞.
public enum NonFiniteGradientPolicy: String, Codable, Sendable, Hashable {
    /// Throw `OptimizerError.nonFiniteGradient`, leaving parameters and state unchanged (the default).
    case throwError
    /// Return without touching parameters or state: the step does not count, so the step counter,
    /// the velocities and every random stream stay where they were (the next attempt uses the same
    /// step index and so the same noise). `StepReport.applied` is `false`.
    case skipStep
    /// Do not look: non-finite values flow into the parameters, as in PyTorch. Saves the read pass
    /// over the gradient that the check costs (about a fifth of a momentum step's memory traffic)
    /// when no global-norm clipping pays for it already.
    case propagate
}

// MARK: - Validation

/// Checks of hyperparameter domains that throw `invalidHyperparameter` with the value in it.
enum Hyperparameter {
    static func require(_ condition: Bool, _ name: String, _ value: Double, _ requirement: String) throws {
        if !condition || value.isNaN {
            throw OptimizerError.invalidHyperparameter(name: name, value: value, requirement: requirement)
        }
    }

    static func nonNegative(_ value: Double, _ name: String) throws {
        try require(value >= 0 && value.isFinite, name, value, "a finite value ≥ 0")
    }

    static func positive(_ value: Double, _ name: String) throws {
        try require(value > 0 && value.isFinite, name, value, "a finite value > 0")
    }

    /// A decay rate such as momentum or Adam's β: 0 ≤ value < 1.
    static func unitInterval(_ value: Double, _ name: String) throws {
        try require(value >= 0 && value < 1, name, value, "0 ≤ \(name) < 1")
    }

    /// A schedule's values at t = 0, 1, 2, 10, 100, 10³ and 10⁴ must satisfy `check` (where warm-ups
    /// and steps live). A step still stops on a value that breaks the rule later (a closure).
    static func schedule(_ schedule: Schedule, _ name: String, _ check: (Double, String) throws -> Void) throws {
        for step in [0, 1, 2, 10, 100, 1_000, 10_000] {
            try check(schedule.value(at: step), name)
        }
    }
}
