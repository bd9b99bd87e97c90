// Schedule+Convertible: a number or a schedule wherever a hyperparameter can follow one, so
// `learningRate: lr` works for a `Double` variable as well as for a literal or `.cosine(…)`.

/// A value that stands for a `Schedule`: a number (a constant schedule) or a schedule.
public protocol ScheduleConvertible {
    /// The schedule this value stands for.
    var schedule: Schedule { get }
}

extension Schedule: ScheduleConvertible {
    public var schedule: Schedule { self }
}

extension Double: ScheduleConvertible {
    /// The constant schedule of this value.
    public var schedule: Schedule { .constant(self) }
}

extension Float: ScheduleConvertible {
    /// The constant schedule of this value (converted to Double exactly).
    public var schedule: Schedule { .constant(Double(self)) }
}

extension Int: ScheduleConvertible {
    /// The constant schedule of this value.
    public var schedule: Schedule { .constant(Double(self)) }
}

// The schedules by name where the parameter is `any ScheduleConvertible`: `learningRate: .cosine(…)`.
extension ScheduleConvertible where Self == Schedule {
    /// `Schedule.constant(_:)`.
    public static func constant(_ value: Double) -> Schedule { Schedule.constant(value) }

    /// `Schedule.step(initial:factor:every:)`.
    public static func step(initial: Double, factor: Double, every: Int) -> Schedule {
        Schedule.step(initial: initial, factor: factor, every: every)
    }

    /// `Schedule.exponential(initial:factor:)`.
    public static func exponential(initial: Double, factor: Double) -> Schedule {
        Schedule.exponential(initial: initial, factor: factor)
    }

    /// `Schedule.inverseTime(initial:rate:every:)`.
    public static func inverseTime(initial: Double, rate: Double, every: Double = 1) -> Schedule {
        Schedule.inverseTime(initial: initial, rate: rate, every: every)
    }

    /// `Schedule.inversePower(scale:offset:exponent:)`.
    public static func inversePower(scale: Double, offset: Double, exponent: Double) -> Schedule {
        Schedule.inversePower(scale: scale, offset: offset, exponent: exponent)
    }

    /// `Schedule.cosine(initial:totalSteps:final:)`.
    public static func cosine(initial: Double, totalSteps: Int, final: Double = 0) -> Schedule {
        Schedule.cosine(initial: initial, totalSteps: totalSteps, final: final)
    }

    /// `Schedule.warmup(steps:from:then:)`.
    public static func warmup(steps: Int, from: Double = 0, then: Schedule) -> Schedule {
        Schedule.warmup(steps: steps, from: from, then: then)
    }

    /// `Schedule.warmup(steps:startFactor:then:)`.
    public static func warmup(steps: Int, startFactor: Double, then: Schedule) -> Schedule {
        Schedule.warmup(steps: steps, startFactor: startFactor, then: then)
    }

    /// `Schedule.multiStep(initial:factor:milestones:)`.
    public static func multiStep(initial: Double, factor: Double = 0.1, milestones: [Int]) -> Schedule {
        Schedule.multiStep(initial: initial, factor: factor, milestones: milestones)
    }

    /// `Schedule.cosineWithRestarts(initial:period:periodMultiplier:final:)`.
    public static func cosineWithRestarts(initial: Double, period: Int, periodMultiplier: Int = 1,
                                          final: Double = 0) -> Schedule {
        Schedule.cosineWithRestarts(initial: initial, period: period, periodMultiplier: periodMultiplier, final: final)
    }

    /// `Schedule.polynomial(initial:totalSteps:power:)`.
    public static func polynomial(initial: Double, totalSteps: Int, power: Double = 1) -> Schedule {
        Schedule.polynomial(initial: initial, totalSteps: totalSteps, power: power)
    }

    /// `Schedule.oneCycle(maximum:totalSteps:warmupFraction:annealing:divisionFactor:finalDivisionFactor:threePhase:)`.
    public static func oneCycle(maximum: Double, totalSteps: Int, warmupFraction: Double = 0.3,
                                annealing: Schedule.Annealing = .cosine, divisionFactor: Double = 25,
                                finalDivisionFactor: Double = 1e4, threePhase: Bool = false) -> Schedule {
        Schedule.oneCycle(maximum: maximum, totalSteps: totalSteps, warmupFraction: warmupFraction, annealing: annealing,
                          divisionFactor: divisionFactor, finalDivisionFactor: finalDivisionFactor, threePhase: threePhase)
    }

    /// `Schedule.custom(_:)`.
    public static func custom(_ value: @escaping @Sendable (Int) -> Double) -> Schedule { Schedule.custom(value) }
}
