// Schedule+Validation: a schedule checked over its whole horizon when an optimizer is built, and
// its value checked again at each step, so a bad value is refused with a typed error instead of
// reaching a kernel.

import Foundation

extension Schedule {
    /// Throws unless every value of the schedule, at every step t ≥ 0, is acceptable to `check`.
    ///
    /// Closed forms are checked analytically: each is monotone between the values it is given, so
    /// those go through `check`, and its shape must keep the rest ≥ 0 —
    ///
    /// - step and exponential: initial · factorᵏ needs factor ≥ 0 (a negative factor alternates
    ///   the sign). A factor > 1 grows without bound; the step that first exceeds
    ///   `Hyperparameter.largest` throws `invalidScheduleValue` (see `value(at:checkedAs:)`).
    /// - inverse time: initial / (1 + rate · t / every) needs rate ≥ 0 (a negative rate sends the
    ///   denominator through 0 at t = every/|rate|); it then decreases from initial towards 0.
    /// - inverse power: scale · (offset + t)^−exponent decreases from its value at t = 0 towards 0.
    /// - cosine: moves monotonically from initial to final, so both are checked.
    /// - warm-up: linear from `from` to the first value of `then`, then `then`.
    /// - multi-step, cosine with warm restarts, polynomial, one-cycle: each stays between values
    ///   known in closed form, checked as `validatePyTorchScheduler` says.
    /// - SWA: `before`, then linear between α₁ and α₂ within each cycle, so both are checked.
    /// - custom: only its values at t = 0, 1, 2, 10, 100, 10³ and 10⁴ can be looked at here, and
    ///   only their range is checked.
    func validate(_ name: String, _ check: (Double, String) throws -> Void) throws {
        try Schedule.validate(rule, name, check, closure: closure)
    }

    private static func validate(_ rule: Rule, _ name: String, _ check: (Double, String) throws -> Void,
                                 closure: (@Sendable (Int) -> Double)?) throws {
        switch rule {
        case let .constant(value):
            try check(value, name)
        case let .step(initial, factor, _), let .exponential(initial, factor):
            try check(initial, name)
            try Hyperparameter.require(factor >= 0 && factor.isFinite, name, factor,
                                       "a finite factor ≥ 0 (a negative factor makes every other value negative)")
        case let .inverseTime(initial, rate, _):
            try check(initial, name)
            try Hyperparameter.require(rate >= 0 && rate.isFinite, name, rate,
                                       "a finite rate ≥ 0 (a negative rate divides by 0 and then turns the value negative)")
        case let .cosine(initial, _, final):
            try check(initial, name)
            try check(final, name)
        case let .inversePower(scale, offset, exponent):
            // Decreases from its value at t = 0 towards 0 (offset > 0 and exponent ≥ 0 are structural).
            try check(scale * pow(offset, -exponent), name)
        case let .warmup(_, from, then):
            try check(from, name)
            try validate(then, name, check, closure: closure)
        case .multiStep, .cosineWithRestarts, .polynomial, .oneCycle:
            try validatePyTorchScheduler(rule, name, check)
        case let .swa(_, before, from, to, _):
            // Linear between α₁ and α₂ within each cycle.
            try validate(before, name, check, closure: closure)
            try check(from, name)
            try check(to, name)
        case .custom:
            // Sampled values are computed, not given: one that underflows to a tiny Float is a
            // decay, not a typo, so only the range is checked (as the step will check it).
            for step in [0, 1, 2, 10, 100, 1_000, 10_000] {
                let value = closure!(step)
                try Hyperparameter.require(value >= 0 && value <= Hyperparameter.largest, name, value,
                                           "values from 0 to \(Float(Hyperparameter.largest)) (a closure, sampled at t = \(step))")
            }
        }
    }

    /// The value at step `t`, or `OptimizerError.invalidScheduleValue` naming `name`, t and the
    /// value if it is not in 0...2⁻²⁴·`Float.greatestFiniteMagnitude` ≈ 2·10³¹, the range of a
    /// scale a Float32 step can apply without overflowing (NaN is not in it). Optimizers call it
    /// before they write anything, so a closure that turns negative at step t stops the run there
    /// with the parameters and state as they were.
    public func value(at t: Int, checkedAs name: String) throws -> Double {
        let value = value(at: t)
        guard value >= 0 && value <= Hyperparameter.largest else {
            throw OptimizerError.invalidScheduleValue(name: name, step: t, value: value,
                                                      requirement: "a value from 0 to \(Float(Hyperparameter.largest))")
        }
        return value
    }

    /// The structural checks of the factories (every > 0, totalSteps > 0, steps > 0), as a
    /// message for the first one `rule` breaks, or nil. Decoding uses it to refuse what the
    /// factories would stop on.
    static func structuralProblem(_ rule: Rule) -> String? {
        switch rule {
        case let .constant(value):
            return value.isFinite ? nil : "a constant schedule needs a finite value, got \(value)"
        case let .step(initial, factor, every):
            if every <= 0 { return "a step schedule needs every > 0, got \(every)" }
            if !initial.isFinite || !factor.isFinite { return "a step schedule needs finite values, got initial \(initial), factor \(factor)" }
        case let .exponential(initial, factor):
            if !initial.isFinite || !factor.isFinite { return "an exponential schedule needs finite values, got initial \(initial), factor \(factor)" }
        case let .inverseTime(initial, rate, every):
            if !(every > 0 && every.isFinite) { return "an inverse-time schedule needs a finite every > 0, got \(every)" }
            if !initial.isFinite || !rate.isFinite { return "an inverse-time schedule needs finite values, got initial \(initial), rate \(rate)" }
        case let .cosine(initial, totalSteps, final):
            if totalSteps <= 0 { return "a cosine schedule needs totalSteps > 0, got \(totalSteps)" }
            if !initial.isFinite || !final.isFinite { return "a cosine schedule needs finite values, got initial \(initial), final \(final)" }
        case let .inversePower(scale, offset, exponent):
            if !scale.isFinite || !offset.isFinite || !exponent.isFinite {
                return "an inverse-power schedule needs finite values, got scale \(scale), offset \(offset), exponent \(exponent)"
            }
            if !(offset > 0) { return "an inverse-power schedule needs offset > 0 (t = 0 divides by offset^exponent), got \(offset)" }
            if !(exponent >= 0) { return "an inverse-power schedule needs exponent ≥ 0 (a negative one grows without bound), got \(exponent)" }
        case let .warmup(steps, from, then):
            if steps <= 0 { return "a warm-up needs steps > 0, got \(steps)" }
            if !from.isFinite { return "a warm-up needs a finite start, got \(from)" }
            return structuralProblem(then)
        case .multiStep, .cosineWithRestarts, .polynomial, .oneCycle:
            return pyTorchSchedulerProblem(rule)
        case let .swa(start, before, from, to, cycle):
            if start < 0 { return "an SWA schedule needs start ≥ 0, got \(start)" }
            if cycle <= 0 { return "an SWA schedule needs cycle > 0, got \(cycle)" }
            if !from.isFinite || !to.isFinite { return "an SWA schedule needs finite rates, got from \(from), to \(to)" }
            return structuralProblem(before)
        case .custom:
            return nil
        }
        return nil
    }
}

// MARK: - Schedules inside transforms

extension GradientTransform {
    /// No schedule to check.
    public func checkSchedules(at t: Int) throws {}
}

extension Chain {
    /// Both parts' schedules.
    public func checkSchedules(at t: Int) throws {
        try first.checkSchedules(at: t)
        try second.checkSchedules(at: t)
    }
}

extension AddGradientNoise {
    /// η at step t must be in range; a constant η was checked once, when the transform was built.
    public func checkSchedules(at t: Int) throws {
        if let noise, noise.eta.constantValue == nil { _ = try noise.eta.value(at: t, checkedAs: "eta") }
    }
}
