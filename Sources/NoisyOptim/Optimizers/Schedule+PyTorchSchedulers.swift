// Schedule+PyTorchSchedulers: PyTorch's MultiStepLR, CosineAnnealingWarmRestarts, PolynomialLR and
// OneCycleLR as closed forms of the step, with their parameters and defaults, so that settings port.

import Foundation

extension Schedule {
    /// How one-cycle moves between two values over a phase (PyTorch's `anneal_strategy`).
    public enum Annealing: String, Codable, Sendable, Hashable {
        /// a + (b − a)·(1 − cos(π·p))/2 at the fraction p of the phase (PyTorch's `'cos'`).
        case cosine
        /// a + (b − a)·p (PyTorch's `'linear'`).
        case linear
    }

    // MARK: - The schedules

    /// initial · factor^k(t), k(t) = #{milestones mᵢ ≤ t}: multiplied by `factor` at each milestone
    /// (PyTorch's `MultiStepLR` with `gamma` = factor). A milestone listed twice multiplies twice,
    /// as in PyTorch. After the last milestone the value stays initial · factor^(milestones.count).
    ///
    /// - Parameters:
    ///   - initial: the value before the first milestone.
    ///   - factor: γ, the multiplier at each milestone (PyTorch's default 0.1).
    ///   - milestones: steps ≥ 0 in non-decreasing order.
    public static func multiStep(initial: Double, factor: Double = 0.1, milestones: [Int]) -> Schedule {
        let rule = Rule.multiStep(initial: initial, factor: factor, milestones: milestones)
        if let problem = pyTorchSchedulerProblem(rule) { fail(problem) }
        return Schedule(rule: rule)
    }

    /// SGDR's cosine with warm restarts (Loshchilov & Hutter 2017, "SGDR: Stochastic Gradient
    /// Descent with Warm Restarts", ICLR), PyTorch's `CosineAnnealingWarmRestarts` in closed form:
    ///
    ///     value(t) = final + (initial − final)·(1 + cos(π·t_cur/Tᵢ))/2
    ///
    /// where cycle i lasts Tᵢ = T₀·T_multⁱ steps and t_cur counts the steps since it began, so the
    /// value is `initial` at t = 0, T₀, T₀ + T₀·T_mult, … and approaches `final` at each cycle's end.
    /// It restarts for ever; there is no last step.
    ///
    /// - Parameters:
    ///   - initial: the value at each restart (PyTorch's base lr).
    ///   - period: T₀ ≥ 1, the first cycle's length (PyTorch's `T_0`).
    ///   - periodMultiplier: T_mult ≥ 1, each cycle this many times longer than the last (`T_mult`).
    ///   - final: the value a cycle tends to (PyTorch's `eta_min`, default 0).
    public static func cosineWithRestarts(initial: Double, period: Int, periodMultiplier: Int = 1,
                                          final: Double = 0) -> Schedule {
        let rule = Rule.cosineWithRestarts(initial: initial, period: period, periodMultiplier: periodMultiplier, final: final)
        if let problem = pyTorchSchedulerProblem(rule) { fail(problem) }
        return Schedule(rule: rule)
    }

    /// initial · (1 − min(t, T)/T)^power with T = `totalSteps`: polynomial decay to 0 at step T,
    /// then 0 (PyTorch's `PolynomialLR` with `total_iters` = T, in its closed form). power 1 is a
    /// linear decay; power 0 the constant `initial`.
    ///
    /// - Parameters:
    ///   - initial: the value at t = 0.
    ///   - totalSteps: T ≥ 1, the step from which the value is 0 (PyTorch's `total_iters`, default 5).
    ///   - power: the exponent, finite and ≥ 0 (default 1).
    public static func polynomial(initial: Double, totalSteps: Int, power: Double = 1) -> Schedule {
        let rule = Rule.polynomial(initial: initial, totalSteps: totalSteps, power: power)
        if let problem = pyTorchSchedulerProblem(rule) { fail(problem) }
        return Schedule(rule: rule)
    }

    /// The one-cycle policy (Smith 2018, "A Disciplined Approach to Neural Network
    /// Hyper-Parameters: Part 1", arXiv:1803.09820; Smith & Topin 2019, "Super-Convergence"), as
    /// PyTorch's `OneCycleLR` with its defaults. With lr₀ = maximum/div, lr_min = lr₀/final_div, p = `warmupFraction` and T steps:
    ///
    ///     two phases:    lr₀ → maximum over t ≤ pT − 1,  then maximum → lr_min until t = T − 1
    ///     three phases:  lr₀ → maximum over t ≤ pT − 1,  maximum → lr₀ until 2pT − 2,  lr₀ → lr_min until T − 1
    ///
    /// each phase by `annealing` on the fraction of it done (PyTorch's phase boundaries, which need
    /// not be whole steps). After the last step, t ≥ T − 1, the value stays at its value at T − 1
    /// (lr_min, unless three phases with p > ½ cut the last two short); PyTorch raises past step T
    /// instead, and at step T itself extrapolates the last phase (below lr_min, negative when linear).
    ///
    /// - Parameters:
    ///   - maximum: the peak (PyTorch's `max_lr`).
    ///   - totalSteps: T ≥ 1, the length of the cycle (`total_steps`).
    ///   - warmupFraction: p ∈ [0, 1], the fraction of the cycle spent rising (`pct_start`, 0.3),
    ///     with pT ≠ 1 (PyTorch divides 0 by 0 at t = 0 then).
    ///   - annealing: cosine (PyTorch's default) or linear (`anneal_strategy`).
    ///   - divisionFactor: div > 0, lr₀ = maximum/div (`div_factor`, 25).
    ///   - finalDivisionFactor: final_div > 0, lr_min = lr₀/final_div (`final_div_factor`, 10⁴).
    ///   - threePhase: whether to come back down to lr₀ before the final decay (`three_phase`).
    public static func oneCycle(maximum: Double, totalSteps: Int, warmupFraction: Double = 0.3,
                                annealing: Annealing = .cosine, divisionFactor: Double = 25,
                                finalDivisionFactor: Double = 1e4, threePhase: Bool = false) -> Schedule {
        let rule = Rule.oneCycle(maximum: maximum, totalSteps: totalSteps, warmupFraction: warmupFraction,
                                 annealing: annealing, divisionFactor: divisionFactor,
                                 finalDivisionFactor: finalDivisionFactor, threePhase: threePhase)
        if let problem = pyTorchSchedulerProblem(rule) { fail(problem) }
        return Schedule(rule: rule)
    }

    // MARK: - Values

    static func multiStepValue(initial: Double, factor: Double, milestones: [Int], at t: Int) -> Double {
        // The milestones are sorted (structural), so k(t) is the length of the prefix ≤ t.
        var passed = 0
        while passed < milestones.count && milestones[passed] <= t { passed += 1 }
        return initial * pow(factor, Double(passed))
    }

    static func cosineWithRestartsValue(initial: Double, period: Int, periodMultiplier: Int, final: Double,
                                        at t: Int) -> Double {
        // The cycle holding t, found in integers, as PyTorch's default `step()` counts it (its
        // `step(epoch)` takes a floating-point logarithm instead, which can put a restart a step off).
        var start = 0, length = period
        if periodMultiplier == 1 {
            start = t - t % period
        } else {
            while t - start >= length {
                start += length
                let (longer, overflow) = length.multipliedReportingOverflow(by: periodMultiplier)
                if overflow { break } // this cycle outlasts every Int step
                length = longer
            }
        }
        // PyTorch's order of operations: π·t_cur first, then / Tᵢ.
        return final + (initial - final) * (1 + cos(Double.pi * Double(t - start) / Double(length))) / 2
    }

    static func polynomialValue(initial: Double, totalSteps: Int, power: Double, at t: Int) -> Double {
        initial * pow(1 - Double(min(t, totalSteps)) / Double(totalSteps), power)
    }

    static func oneCycleValue(maximum: Double, totalSteps: Int, warmupFraction: Double, annealing: Annealing,
                              divisionFactor: Double, finalDivisionFactor: Double, threePhase: Bool,
                              at t: Int) -> Double {
        let initial = maximum / divisionFactor, minimum = initial / finalDivisionFactor
        let steps = Double(totalSteps), s = Double(min(t, totalSteps - 1))
        func anneal(_ from: Double, _ to: Double, _ start: Double, _ end: Double) -> Double {
            let fraction = (s - start) / (end - start)
            switch annealing {
            case .cosine: return to + (from - to) / 2 * (cos(Double.pi * fraction) + 1)
            case .linear: return (to - from) * fraction + from
            }
        }
        // PyTorch's phase ends, computed as it does: pT − 1, 2pT − 2, T − 1.
        let rise = warmupFraction * steps - 1
        if s <= rise { return anneal(initial, maximum, 0, rise) }
        guard threePhase else { return anneal(maximum, minimum, rise, steps - 1) }
        let fall = 2 * warmupFraction * steps - 2
        if s <= fall { return anneal(maximum, initial, rise, fall) }
        return anneal(initial, minimum, fall, steps - 1)
    }

    // MARK: - Checks

    /// The horizon check of `validate(_:_:)` for these schedules. Each stays between values known
    /// in closed form, so checking those covers every step:
    ///
    /// - multi-step takes only the values initial·factorᵏ, k = 0 … milestones.count: initial goes
    ///   through `check`, the others (computed, so a tiny one is a decay) must lie in 0…largest.
    /// - cosine with restarts stays between initial and final (1 + cos ∈ [0, 2]): both are checked.
    /// - polynomial decreases from initial (power ≥ 0) to exactly 0 at T (when power > 0): both.
    /// - one-cycle anneals between lr₀, maximum and lr_min, each phase staying between its two
    ///   ends (cosine and linear interpolation on [0, 1] do not overshoot): `maximum` goes through
    ///   `check`, the computed lr₀ and lr_min must lie in 0…largest.
    static func validatePyTorchScheduler(_ rule: Rule, _ name: String, _ check: (Double, String) throws -> Void) throws {
        func inRange(_ value: Double, _ what: String) throws {
            try Hyperparameter.require(value >= 0 && value <= Hyperparameter.largest, name, value,
                                       "values from 0 to \(Float(Hyperparameter.largest)) (\(what))")
        }
        switch rule {
        case let .multiStep(initial, factor, milestones):
            try check(initial, name)
            for k in milestones.indices {
                // Computed as `value(at:)` computes it, so the check sees the very values a step will.
                let value = initial * pow(factor, Double(k + 1))
                try inRange(value, "initial · factor^\(k + 1), from step \(milestones[k])")
            }
        case let .cosineWithRestarts(initial, _, _, final):
            try check(initial, name)
            try check(final, name)
        case let .polynomial(initial, _, power):
            try check(initial, name)
            if power > 0 { try check(0, name) }
        case let .oneCycle(maximum, _, _, _, divisionFactor, finalDivisionFactor, _):
            try check(maximum, name)
            let initial = maximum / divisionFactor
            try inRange(initial, "maximum / divisionFactor, the start")
            try inRange(initial / finalDivisionFactor, "maximum / divisionFactor / finalDivisionFactor, the end")
        default:
            fail("validatePyTorchScheduler: \(rule) is not one of PyTorch's schedulers")
        }
    }

    /// The structural checks of these schedules' factories, as a message for the first one `rule`
    /// breaks, or nil (decoding runs them too).
    static func pyTorchSchedulerProblem(_ rule: Rule) -> String? {
        switch rule {
        case let .multiStep(initial, factor, milestones):
            if !initial.isFinite || !factor.isFinite {
                return "a multi-step schedule needs finite values, got initial \(initial), factor \(factor)"
            }
            if let first = milestones.first, first < 0 { return "a multi-step schedule needs milestones ≥ 0, got \(first)" }
            if let i = milestones.indices.dropFirst().first(where: { milestones[$0] < milestones[$0 - 1] }) {
                return "a multi-step schedule needs milestones in non-decreasing order, got \(milestones[i - 1]) then \(milestones[i])"
            }
        case let .cosineWithRestarts(initial, period, periodMultiplier, final):
            if period < 1 { return "a cosine schedule with restarts needs period ≥ 1, got \(period)" }
            if periodMultiplier < 1 { return "a cosine schedule with restarts needs periodMultiplier ≥ 1, got \(periodMultiplier)" }
            if !initial.isFinite || !final.isFinite {
                return "a cosine schedule with restarts needs finite values, got initial \(initial), final \(final)"
            }
        case let .polynomial(initial, totalSteps, power):
            if totalSteps < 1 { return "a polynomial schedule needs totalSteps ≥ 1, got \(totalSteps)" }
            if !initial.isFinite { return "a polynomial schedule needs a finite initial value, got \(initial)" }
            if !(power >= 0 && power.isFinite) {
                return "a polynomial schedule needs a finite power ≥ 0 (a negative one is infinite at totalSteps), got \(power)"
            }
        case let .oneCycle(maximum, totalSteps, warmupFraction, _, divisionFactor, finalDivisionFactor, _):
            if totalSteps < 1 { return "a one-cycle schedule needs totalSteps ≥ 1, got \(totalSteps)" }
            if !maximum.isFinite { return "a one-cycle schedule needs a finite maximum, got \(maximum)" }
            if !(warmupFraction >= 0 && warmupFraction <= 1) {
                return "a one-cycle schedule needs warmupFraction in [0, 1], got \(warmupFraction)"
            }
            if warmupFraction * Double(totalSteps) - 1 == 0 {
                return "a one-cycle schedule needs warmupFraction · totalSteps ≠ 1 (its rise would end at t = 0 and divide 0 by 0), got \(warmupFraction) · \(totalSteps)"
            }
            if !(divisionFactor > 0 && divisionFactor.isFinite) {
                return "a one-cycle schedule needs a finite divisionFactor > 0, got \(divisionFactor)"
            }
            if !(finalDivisionFactor > 0 && finalDivisionFactor.isFinite) {
                return "a one-cycle schedule needs a finite finalDivisionFactor > 0, got \(finalDivisionFactor)"
            }
        default:
            fail("pyTorchSchedulerProblem: \(rule) is not one of PyTorch's schedulers")
        }
        return nil
    }
}
