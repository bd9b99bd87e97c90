// Schedule.halved(): the samplers' lr = ε/2 from the user's ε, exact at every step and still
// encodable wherever ε was.

import Foundation
import Testing
@testable import NoisyOptim

@Suite struct ScheduleHalvingTests {
    @Test func everyScheduleIsHalvedExactly() throws {
        let schedules: [Schedule] = [
            .constant(0.3), .step(initial: 0.3, factor: 0.5, every: 3), .exponential(initial: 0.3, factor: 0.9),
            .inverseTime(initial: 0.3, rate: 0.1, every: 2), .cosine(initial: 0.3, totalSteps: 10, final: 0.01),
            .inversePower(scale: 0.3, offset: 5, exponent: 0.55), .warmup(steps: 4, from: 0, then: .constant(0.3)),
            .custom { 0.3 / Double($0 + 1) },
        ]
        for (k, schedule) in schedules.enumerated() {
            let half = schedule.halved()
            // Halving a Double is exact, so equality (not closeness) is the contract.
            for t in [0, 1, 2, 3, 5, 9, 10, 50] {
                #expect(half.value(at: t) == schedule.value(at: t) / 2, "schedule \(k), t = \(t)")
            }
            // A closed form stays one (and encodable); only warm-ups and closures become closures.
            let encodes = (try? JSONEncoder().encode(half)) != nil
            #expect(encodes == (k < 6), "schedule \(k)")
        }
    }
}
