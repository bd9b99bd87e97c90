// Schedule: a scalar hyperparameter as a function of the step t (counted from 0): learning rates,
// noise scales η, weight decays.

import Foundation

/// A hyperparameter value for each step t = 0, 1, 2, …, evaluated once per step (never per element).
///
/// Any scalar hyperparameter that is a `Schedule` can follow one: learning rates, the gradient-noise
/// scale η, a perturbation σ. A number literal is a constant schedule, so `learningRate: 0.1` works.
///
/// ```swift
/// let lr = Schedule.warmup(steps: 100, from: 0, then: .cosine(initial: 0.1, totalSteps: 10_000))
/// ```
///
/// Every schedule except `custom` is `Codable`, so a configuration can be saved with the run.
/// A `custom` closure cannot be encoded: encoding one throws `EncodingError.invalidValue`.
/// (Optimizer *state* never holds a schedule, so checkpoints work whatever schedule is in use.)
public struct Schedule: Sendable {
    indirect enum Rule: Codable, Sendable, Equatable {
        case constant(Double)
        case step(initial: Double, factor: Double, every: Int)
        case exponential(initial: Double, factor: Double)
        case inverseTime(initial: Double, rate: Double, every: Double)
        case cosine(initial: Double, totalSteps: Int, final: Double)
        case inversePower(scale: Double, offset: Double, exponent: Double)
        case warmup(steps: Int, from: Double, then: Rule)
        // PyTorch's schedulers (Schedule+PyTorchSchedulers.swift).
        case multiStep(initial: Double, factor: Double, milestones: [Int])
        case cosineWithRestarts(initial: Double, period: Int, periodMultiplier: Int, final: Double)
        case polynomial(initial: Double, totalSteps: Int, power: Double)
        case oneCycle(maximum: Double, totalSteps: Int, warmupFraction: Double, annealing: Annealing,
                      divisionFactor: Double, finalDivisionFactor: Double, threePhase: Bool)
        case swa(start: Int, before: Rule, from: Double, to: Double, cycle: Int)
        case custom
    }

    let rule: Rule
    let closure: (@Sendable (Int) -> Double)?

    // Internal so that the schedules defined in other files (Schedule+PyTorchSchedulers) can build one.
    init(rule: Rule, closure: (@Sendable (Int) -> Double)? = nil) {
        self.rule = rule
        self.closure = closure
    }

    /// The value at step `t` (t ≥ 0).
    public func value(at t: Int) -> Double {
        check(t >= 0, "schedules are defined for steps t ≥ 0, got \(t)")
        return Schedule.evaluate(rule, at: t, closure: closure)
    }

    private static func evaluate(_ rule: Rule, at t: Int, closure: (@Sendable (Int) -> Double)?) -> Double {
        switch rule {
        case let .constant(value):
            return value
        case let .step(initial, factor, every):
            return initial * pow(factor, Double(t / every))
        case let .exponential(initial, factor):
            return initial * pow(factor, Double(t))
        case let .inverseTime(initial, rate, every):
            return initial / (1 + rate * Double(t) / every)
        case let .cosine(initial, totalSteps, final):
            let progress = Double(min(t, totalSteps)) / Double(totalSteps)
            return final + (initial - final) * (1 + cos(Double.pi * progress)) / 2
        case let .inversePower(scale, offset, exponent):
            return scale * pow(offset + Double(t), -exponent)
        case let .warmup(steps, from, then):
            if t >= steps { return evaluate(then, at: t - steps, closure: closure) }
            let target = evaluate(then, at: 0, closure: closure)
            return from + (target - from) * Double(t) / Double(steps)
        case let .multiStep(initial, factor, milestones):
            return multiStepValue(initial: initial, factor: factor, milestones: milestones, at: t)
        case let .cosineWithRestarts(initial, period, periodMultiplier, final):
            return cosineWithRestartsValue(initial: initial, period: period, periodMultiplier: periodMultiplier, final: final, at: t)
        case let .polynomial(initial, totalSteps, power):
            return polynomialValue(initial: initial, totalSteps: totalSteps, power: power, at: t)
        case let .oneCycle(maximum, totalSteps, warmupFraction, annealing, divisionFactor, finalDivisionFactor, threePhase):
            return oneCycleValue(maximum: maximum, totalSteps: totalSteps, warmupFraction: warmupFraction, annealing: annealing,
                                 divisionFactor: divisionFactor, finalDivisionFactor: finalDivisionFactor, threePhase: threePhase, at: t)
        case let .swa(start, before, from, to, cycle):
            if t < start { return evaluate(before, at: t, closure: closure) }
            let tau = Double((t - start) % cycle + 1) / Double(cycle)
            return (1 - tau) * from + tau * to
        case .custom:
            return closure!(t)
        }
    }

    // MARK: - The schedules

    /// The same value at every step.
    public static func constant(_ value: Double) -> Schedule { Schedule(rule: .constant(value)) }

    /// initial · factor^⌊t / every⌋: multiplied by `factor` every `every` steps (PyTorch's `StepLR`).
    public static func step(initial: Double, factor: Double, every: Int) -> Schedule {
        check(every > 0, "a step schedule needs every > 0, got \(every)")
        return Schedule(rule: .step(initial: initial, factor: factor, every: every))
    }

    /// initial · factorᵗ: multiplied by `factor` every step (PyTorch's `ExponentialLR`).
    public static func exponential(initial: Double, factor: Double) -> Schedule {
        Schedule(rule: .exponential(initial: initial, factor: factor))
    }

    /// initial / (1 + rate · t / every): inverse-time decay (Keras' `InverseTimeDecay`, without staircase).
    public static func inverseTime(initial: Double, rate: Double, every: Double = 1) -> Schedule {
        check(every > 0 && every.isFinite, "an inverse-time schedule needs a finite every > 0, got \(every)")
        return Schedule(rule: .inverseTime(initial: initial, rate: rate, every: every))
    }

    /// final + (initial − final) · (1 + cos(π · min(t, T) / T)) / 2 with T = `totalSteps`: half a
    /// cosine from `initial` down to `final`, then `final` (Loshchilov & Hutter 2017, without restarts).
    public static func cosine(initial: Double, totalSteps: Int, final: Double = 0) -> Schedule {
        check(totalSteps > 0, "a cosine schedule needs totalSteps > 0, got \(totalSteps)")
        return Schedule(rule: .cosine(initial: initial, totalSteps: totalSteps, final: final))
    }

    /// scale · (offset + t)^−exponent: the polynomially decaying step size of Welling & Teh 2011
    /// (SGLD's εₜ = a·(b + t)^−γ; they take γ ∈ (0.5, 1], so that Σεₜ = ∞ and Σεₜ² < ∞). It keeps
    /// decaying for ever; exponent 0 is the constant `scale`. Needs offset > 0 (t = 0 would divide
    /// by zero) and exponent ≥ 0 (a negative one grows without bound).
    public static func inversePower(scale: Double, offset: Double, exponent: Double) -> Schedule {
        let rule = Rule.inversePower(scale: scale, offset: offset, exponent: exponent)
        if let problem = structuralProblem(rule) { fail(problem) }
        return Schedule(rule: rule)
    }

    /// Linear warm-up: from `from` at t = 0 up to `then`'s first value over `steps` steps, then
    /// `then` with its own clock started at the end of the warm-up (t − steps).
    public static func warmup(steps: Int, from: Double = 0, then: Schedule) -> Schedule {
        check(steps > 0, "a warm-up needs steps > 0, got \(steps)")
        return Schedule(rule: .warmup(steps: steps, from: from, then: then.rule), closure: then.closure)
    }

    /// Linear warm-up in PyTorch's `LinearLR` terms: from `startFactor` × `then`'s first value at
    /// t = 0 up to that value over `steps` steps, then `then` (its clock started at t − steps).
    public static func warmup(steps: Int, startFactor: Double, then: Schedule) -> Schedule {
        warmup(steps: steps, from: startFactor * then.value(at: 0), then: then)
    }

    /// Stochastic weight averaging's learning rate (Izmailov, Podoprikhin, Garipov, Vetrov and
    /// Wilson 2018, "Averaging Weights Leads to Wider Optima and Better Generalization", UAI, eq. 2):
    /// `before` (the pre-training schedule, on its own clock) for t < `start`, then cycles of
    /// c = `cycle` steps, linear from α₁ = `from` towards α₂ = `to`:
    ///
    ///     i = t − start + 1,   τ(i) = (((i − 1) mod c) + 1)/c,   α(i) = (1 − τ(i))·α₁ + τ(i)·α₂
    ///
    /// so each cycle's last step uses α₂ and ends on the iterate SWA collects. `to` nil (or
    /// c = 1 with `to` = `from`) is the constant SWA schedule α₁. Needs start ≥ 0 and cycle > 0.
    public static func swa(start: Int, before: Schedule, from: Double, to: Double? = nil, cycle: Int = 1) -> Schedule {
        let rule = Rule.swa(start: start, before: before.rule, from: from, to: to ?? from, cycle: cycle)
        if let problem = structuralProblem(rule) { fail(problem) }
        return Schedule(rule: rule, closure: before.closure)
    }

    /// Any function of the step. Not `Codable`: encoding it throws.
    public static func custom(_ value: @escaping @Sendable (Int) -> Double) -> Schedule {
        Schedule(rule: .custom, closure: value)
    }

    /// The value if the schedule is the same at every step, else nil.
    var constantValue: Double? {
        if case let .constant(value) = rule { return value }
        return nil
    }
}

extension Schedule: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    /// A constant schedule.
    public init(floatLiteral value: Double) { self.init(rule: .constant(value)) }
    /// A constant schedule.
    public init(integerLiteral value: Int) { self.init(rule: .constant(Double(value))) }
}

extension Schedule: Codable {
    /// Decodes any schedule but `custom`, with the factories' checks: a schedule they would
    /// refuse (every ≤ 0, totalSteps ≤ 0, a non-finite value) throws `DecodingError.dataCorrupted`
    /// naming the value. Domain checks (a learning rate ≥ 0) happen when an optimizer is built.
    public init(from decoder: Decoder) throws {
        let rule = try Rule(from: decoder)
        if Schedule.containsCustom(rule) {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "a custom (closure) schedule cannot be decoded"))
        }
        if let problem = Schedule.structuralProblem(rule) {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: problem))
        }
        self.init(rule: rule)
    }

    /// Encodes the rule; throws `EncodingError.invalidValue` for a `custom` (closure) schedule.
    public func encode(to encoder: Encoder) throws {
        if Schedule.containsCustom(rule) {
            throw EncodingError.invalidValue(self, .init(codingPath: encoder.codingPath,
                                                         debugDescription: "a custom (closure) schedule cannot be encoded"))
        }
        try rule.encode(to: encoder)
    }

    private static func containsCustom(_ rule: Rule) -> Bool {
        switch rule {
        case .custom: return true
        case let .warmup(_, _, then): return containsCustom(then)
        case let .swa(_, before, _, _, _): return containsCustom(before)
        default: return false
        }
    }
}
