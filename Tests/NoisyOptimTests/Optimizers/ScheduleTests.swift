import Foundation
import Testing
@testable import NoisyOptim

@Suite struct ScheduleTests {
    static let cases: [(name: String, schedule: Schedule, expected: [(Int, Double)])] = [
        ("constant", 0.3, [(0, 0.3), (1000, 0.3)]),
        // 1 · 0.5^⌊t/10⌋.
        ("step", .step(initial: 1, factor: 0.5, every: 10), [(0, 1), (9, 1), (10, 0.5), (25, 0.25)]),
        // 2 · 0.9ᵗ.
        ("exponential", .exponential(initial: 2, factor: 0.9), [(0, 2), (1, 1.8), (2, 1.62)]),
        // 1 / (1 + 0.5·t/2).
        ("inverse time", .inverseTime(initial: 1, rate: 0.5, every: 2), [(0, 1), (4, 0.5), (12, 0.25)]),
        // 0 + 1·(1 + cos(πt/100))/2: 1, ½ at the middle, 0 at the end and after.
        ("cosine", .cosine(initial: 1, totalSteps: 100), [(0, 1), (50, 0.5), (100, 0), (150, 0)]),
        // 0.5·(4 + t)^−0.5 (SGLD's a(b + t)^−γ): ¼ at t = 0, ⅙ at t = 5, 1/20 at t = 96.
        ("inverse power", .inversePower(scale: 0.5, offset: 4, exponent: 0.5), [(0, 0.25), (5, 0.5 / 3), (96, 0.05)]),
        // 0 → 0.1 linearly over 10 steps, then the exponential from its own t = 0.
        ("warm-up", .warmup(steps: 10, from: 0, then: .exponential(initial: 0.1, factor: 0.5)),
         [(0, 0), (5, 0.05), (10, 0.1), (11, 0.05)]),
        // PyTorch's schedulers (pinned to PyTorch itself in PyTorchScheduleTests).
        // 1 · 0.5^#{milestones ≤ t}: the repeated milestone 5 halves twice.
        ("multi-step", .multiStep(initial: 1, factor: 0.5, milestones: [2, 5, 5]),
         [(0, 1), (1, 1), (2, 0.5), (4, 0.5), (5, 0.125), (100, 0.125)]),
        // Cycles [0, 4), [4, 12), [12, 28): 1 at each restart, ½ half-way through each.
        ("cosine with restarts", .cosineWithRestarts(initial: 1, period: 4, periodMultiplier: 2),
         [(0, 1), (2, 0.5), (4, 1), (8, 0.5), (12, 1), (20, 0.5), (28, 1)]),
        // 2 · (1 − t/4)²: ½ at t = 2, 0 from t = 4 on.
        ("polynomial", .polynomial(initial: 2, totalSteps: 4, power: 2), [(0, 2), (2, 0.5), (4, 0), (9, 0)]),
        // lr₀ = 1/4, lr_min = 1/8, rise ends at 0.5·10 − 1 = 4: linear 0.25 → 1 over [0, 4], then
        // 1 → 0.125 over (4, 9] (t = 7 is 3/5 of the way), then held at 0.125.
        ("one-cycle", .oneCycle(maximum: 1, totalSteps: 10, warmupFraction: 0.5, annealing: .linear, divisionFactor: 4,
                                finalDivisionFactor: 2),
         [(0, 0.25), (2, 0.625), (4, 1), (7, 1 - 0.875 * 0.6), (9, 0.125), (20, 0.125)]),
        ("custom", .custom { 1 / Double($0 + 1) }, [(0, 1), (3, 0.25)]),
    ]

    @Test(arguments: cases.indices)
    func values(_ index: Int) {
        let c = Self.cases[index]
        for (t, expected) in c.expected {
            expectClose(c.schedule.value(at: t), expected, absoluteTolerance: 1e-12, relativeTolerance: 1e-12, "\(c.name) at t = \(t)")
        }
    }

    @Test func codableRoundTrip() throws {
        for c in Self.cases where c.name != "custom" {
            let decoded = try JSONDecoder().decode(Schedule.self, from: JSONEncoder().encode(c.schedule))
            #expect(decoded.rule == c.schedule.rule)
            #expect((0..<30).allSatisfy { decoded.value(at: $0) == c.schedule.value(at: $0) })
        }
    }

    @Test func closureSchedulesRefuseToEncode() {
        #expect(throws: EncodingError.self) { try JSONEncoder().encode(Schedule.custom { _ in 1 }) }
        #expect(throws: EncodingError.self) {
            try JSONEncoder().encode(Schedule.warmup(steps: 3, then: .custom { _ in 1 }))
        }
    }
}
