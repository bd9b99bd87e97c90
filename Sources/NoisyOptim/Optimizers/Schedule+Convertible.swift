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

    /// `Schedule.cosine(initial:totalSteps:final:)`.
    public static func cosine(initial: Double, totalSteps: Int, final: Double = 0) -> Schedule {
        Schedule.cosine(initial: initial, totalSteps: totalSteps, final: final)
    }

    /// `Schedule.inversePower(scale:offset:exponent:)`.
    public static func inversePower(scale: Double, offset: Double, exponent: Double) -> Schedule {
        Schedule.inversePower(scale: scale, offset: offset, exponent: exponent)
    }

    /// `Schedule.warmup(steps:from:then:)`.
    public static func warmup(steps: Int, from: Double = 0, then: Schedule) -> Schedule {
        Schedule.warmup(steps: steps, from: from, then: then)
    }

    /// `Schedule.warmup(steps:startFactor:then:)`.
    public static func warmup(steps: Int, startFactor: Double, then: Schedule) -> Schedule {
        Schedule.warmup(steps: steps, startFactor: startFactor, then: then)
    }

    /// `Schedule.custom(_:)`.
    public static func custom(_ value: @escaping @Sendable (Int) -> Double) -> Schedule { Schedule.custom(value) }
}
