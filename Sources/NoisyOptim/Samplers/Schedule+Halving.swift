// Schedule+Halving: εₜ/2 from εₜ, so the Langevin samplers take the paper's step size ε while the
// chain's learning-rate link multiplies the drift by ε/2.

extension Schedule {
    /// The schedule whose value at every step t is `value(at: t) / 2`, as a closed form where
    /// there is one (so it stays `Codable`), else as a closure. Halving a Double is exact (bar
    /// subnormals), so a sampler built on it gives the same bits as SGD with lr = ε/2 written out.
    func halved() -> Schedule {
        switch rule {
        case let .constant(value):
            return .constant(value / 2)
        case let .step(initial, factor, every):
            return .step(initial: initial / 2, factor: factor, every: every)
        case let .exponential(initial, factor):
            return .exponential(initial: initial / 2, factor: factor)
        case let .inverseTime(initial, rate, every):
            return .inverseTime(initial: initial / 2, rate: rate, every: every)
        case let .cosine(initial, totalSteps, final):
            return .cosine(initial: initial / 2, totalSteps: totalSteps, final: final / 2)
        case let .inversePower(scale, offset, exponent):
            return .inversePower(scale: scale / 2, offset: offset, exponent: exponent)
        default:
            // Warm-ups, closures and schedules added later: their values halved one by one.
            let whole = self
            return .custom { whole.value(at: $0) / 2 }
        }
    }
}
