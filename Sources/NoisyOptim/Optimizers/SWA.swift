// SWA: stochastic weight averaging (Izmailov et al. 2018) — SGD with the SWA learning rate and
// `AverageIterates` after it, and the averaging as a modifier of any optimizer.

/// Stochastic weight averaging (Izmailov, Podoprikhin, Garipov, Vetrov and Wilson 2018,
/// "Averaging Weights Leads to Wider Optima and Better Generalization", UAI, Algorithm 1): SGD
/// whose learning rate is `Schedule.swa` — the pre-training schedule until s₀, then cycles of c
/// steps from α₁ down to α₂ (or the constant α₁) — with the iterates that end each cycle averaged:
///
///     θₜ₊₁ = θₜ − α(t)·dₜ                                   (d as in `SGD`: momentum, weight decay)
///     θ_SWA = mean of θ_{s₀}, θ_{s₀+c}, θ_{s₀+2c}, …        (`AverageIterates`)
///
/// The average is part of the state, checkpointed with it; read it with `averagedParameters(_:)`.
/// (Networks with batch normalization need its statistics recomputed for θ_SWA, which is the
/// training loop's business.)
///
/// ```swift
/// var swa = try SWA(layout: layout, learningRate: 0.1, momentum: 0.9, start: 10_000, cycleLength: 500,
///                   swaLearningRate: 0.05, swaFinalLearningRate: 0.0005)
/// for _ in 0..<20_000 { try swa.step(&theta, objective: loss) }
/// let averaged = swa.averagedParameters(theta)!
/// ```
public typealias SWA = ChainOptimizer<SGDRule, AverageIterates>

extension ChainOptimizer where Rule == SGDRule, Update == AverageIterates {
    /// SWA for parameters laid out as `layout`.
    ///
    /// - Parameters:
    ///   - learningRate: the schedule before s₀ (pre-training), ≥ 0.
    ///   - momentum, dampening, nesterov, weightDecay, weightDecayFilter: as in `SGD`.
    ///   - start: s₀ ≥ 0, the first step of the SWA phase and of the average.
    ///   - cycleLength: c ≥ 1, steps per learning-rate cycle and between collected iterates.
    ///   - swaLearningRate: α₁ ≥ 0, the rate at the top of each cycle (the constant rate if
    ///     `swaFinalLearningRate` is nil).
    ///   - swaFinalLearningRate: α₂ ≥ 0, the rate of each cycle's last step, or nil.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, learningRate: any ScheduleConvertible, momentum: Double = 0, dampening: Double = 0,
                nesterov: Bool = false, weightDecay: Double = 0, weightDecayFilter: ParameterFilter = .all,
                start: Int, cycleLength: Int = 1, swaLearningRate: Double, swaFinalLearningRate: Double? = nil) throws {
        let averaging = try AverageIterates(start: start, every: cycleLength)
        // Checked before the schedule is built: its factory stops on a non-finite rate.
        try Hyperparameter.nonNegative(swaLearningRate, "swaLearningRate")
        if let swaFinalLearningRate { try Hyperparameter.nonNegative(swaFinalLearningRate, "swaFinalLearningRate") }
        let schedule = Schedule.swa(start: start, before: learningRate.schedule, from: swaLearningRate,
                                    to: swaFinalLearningRate, cycle: cycleLength)
        self = try SGD(layout: layout, learningRate: schedule, momentum: momentum, dampening: dampening, nesterov: nesterov,
                       weightDecay: weightDecay, weightDecayFilter: weightDecayFilter).withUpdate(averaging)
    }
}

extension ChainOptimizer where Update == Identity {
    /// This optimizer with the running average of θ at steps s₀, s₀ + c, … (SWA's averaging) in
    /// its state; give it `Schedule.swa` as its learning rate for SWA proper. Every noise site and
    /// the rule's state are kept.
    /// - Throws: `OptimizerError.invalidHyperparameter` unless s₀ ≥ 0 and c ≥ 1.
    public func averagingIterates(start: Int, every period: Int = 1) throws -> ChainOptimizer<Rule, AverageIterates> {
        try withUpdate(try AverageIterates(start: start, every: period))
    }
}

extension ChainOptimizer where Update == AverageIterates {
    /// θ_SWA for an iterate now at `parameters`: the average in the state, with `parameters`
    /// blended in when the next step would collect them (so after s₀ + k·c steps it holds all
    /// k + 1 iterates, as Algorithm 1 does), or nil if it would hold none. Changes nothing.
    public func averagedParameters(_ parameters: Tensor) -> Tensor? {
        check(parameters.shape == [layout.count], "parameters have shape \(parameters.shape), the layout has \(layout.count) scalars")
        let pending = update.collects(at: state.step)
        guard pending || state.update.count > 0 else { return nil }
        var average = state.update.average
        guard pending else { return average }
        let weight = Float(1 / Double(state.update.count + 1))
        average.withUnsafeMutableBufferPointer { a in
            parameters.withUnsafeBufferPointer { theta in
                guard let a = a.baseAddress, let theta = theta.baseAddress else { return }
                AverageIterates.blend(a, toward: theta, weight: weight, count: layout.count)
            }
        }
        return average
    }
}
