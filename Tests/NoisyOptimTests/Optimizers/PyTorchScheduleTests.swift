import Foundation
import Testing
@testable import NoisyOptim

/// Multi-step, cosine with warm restarts, polynomial and one-cycle against PyTorch's own
/// schedulers, and their checks over the horizon, on decoding and in the factories.
@Suite struct PyTorchScheduleTests {
    /// lr at steps 0, 1, … of each PyTorch scheduler on `SGD(lr=…)`, printed by
    /// Tests/References/make_schedule_reference.py (torch 2.15.0, CPU; `cycle_momentum=False` for one-cycle).
    static let reference: [(name: String, schedule: Schedule, values: [Double])] = [
        // MultiStepLR(milestones=[3, 7, 7, 12], gamma=0.1), lr 0.5
        ("multiStep", .multiStep(initial: 0.5, factor: 0.1, milestones: [3, 7, 7, 12]),
         [0.5, 0.5, 0.5, 0.05, 0.05, 0.05,
          0.05, 0.0005000000000000001, 0.0005000000000000001, 0.0005000000000000001, 0.0005000000000000001, 0.0005000000000000001,
          5.0000000000000016e-05, 5.0000000000000016e-05, 5.0000000000000016e-05, 5.0000000000000016e-05]),
        // CosineAnnealingWarmRestarts(T_0=5, T_mult=2, eta_min=0.01), lr 0.5
        ("restartsDoubling", .cosineWithRestarts(initial: 0.5, period: 5, periodMultiplier: 2, final: 0.01),
         [0.5, 0.45320916362186214, 0.33070916362186215, 0.17929083637813792, 0.0567908363781379, 0.5,
          0.48800884649231263, 0.45320916362186214, 0.39900738681165593, 0.33070916362186215, 0.255, 0.17929083637813792,
          0.11099261318834411, 0.0567908363781379, 0.021991153507687385, 0.5, 0.49698364344580875, 0.48800884649231263,
          0.47329659842615013, 0.45320916362186214, 0.4282411613907041, 0.39900738681165593, 0.366227672436189, 0.33070916362186215,
          0.2933264439348566, 0.255, 0.2166735560651435, 0.17929083637813792, 0.14377232756381106, 0.11099261318834411,
          0.08175883860929586, 0.0567908363781379, 0.036703401573849895, 0.021991153507687385, 0.013016356554191274, 0.5,
          0.4992447467646164, 0.49698364344580875, 0.49323063049743077, 0.48800884649231263]),
        // CosineAnnealingWarmRestarts(T_0=4, T_mult=1), lr 0.3
        ("restartsFixed", .cosineWithRestarts(initial: 0.3, period: 4),
         [0.3, 0.2560660171779821, 0.15, 0.04393398282201788, 0.3, 0.2560660171779821,
          0.15, 0.04393398282201788, 0.3, 0.2560660171779821, 0.15, 0.04393398282201788,
          0.3]),
        // PolynomialLR(total_iters=10, power=2.0), lr 0.2
        ("polynomialSquare", .polynomial(initial: 0.2, totalSteps: 10, power: 2),
         [0.2, 0.16200000000000003, 0.12800000000000003, 0.09799999999999999, 0.07200000000000001, 0.05000000000000001,
          0.032000000000000015, 0.018000000000000016, 0.008, 0.002, 0.0, 0.0,
          0.0, 0.0]),
        // PolynomialLR(total_iters=6, power=0.5), lr 0.2
        ("polynomialRoot", .polynomial(initial: 0.2, totalSteps: 6, power: 0.5),
         [0.2, 0.18257418583505539, 0.16329931618554522, 0.1414213562373095, 0.11547005383792515, 0.0816496580927726,
          0.0, 0.0, 0.0]),
        // OneCycleLR(max_lr=0.1, total_steps=20)
        ("oneCycleDefaults", .oneCycle(maximum: 0.1, totalSteps: 20),
         [0.0040000000000000036, 0.013167184270002533, 0.037167184270002526, 0.06683281572999747, 0.09083281572999748, 0.1,
          0.09874640062350874, 0.09504846320134738, 0.089091617757105, 0.0811745653949763, 0.07169430017913009, 0.06112620219362893,
          0.0500002, 0.03887419780637107, 0.028306099820869922, 0.0188258346050237, 0.010908782242895003, 0.004951936798652629,
          0.0012539993764912555, 4e-07]),
        // OneCycleLR(max_lr=0.1, total_steps=20, pct_start=0.25, anneal_strategy='linear', div_factor=10, final_div_factor=100, three_phase=True)
        ("oneCycleLinearThreePhase", .oneCycle(maximum: 0.1, totalSteps: 20, warmupFraction: 0.25, annealing: .linear,
                                                divisionFactor: 10, finalDivisionFactor: 100, threePhase: true),
         [0.01, 0.0325, 0.05500000000000001, 0.0775, 0.1, 0.0775,
          0.055, 0.0325, 0.009999999999999995, 0.0091, 0.0082, 0.0073,
          0.0063999999999999994, 0.0055, 0.0046, 0.0037, 0.0027999999999999995, 0.001899999999999999,
          0.0009999999999999992, 9.99999999999994e-05]),
    ]

    /// The closed forms against PyTorch, step by step. Restarts and one-cycle are PyTorch's own
    /// closed forms in its order of operations and agree bit for bit. PyTorch's multi-step and
    /// polynomial schedulers update the lr recursively (one rounded product per step) where these
    /// round a single `pow`: measured within 6·10⁻¹⁶ relative (3 ulps) over these steps, so
    /// 2·10⁻¹⁵ leaves a margin of 3; PyTorch's zeros after `total_iters` are exact zeros here too.
    @Test(arguments: reference.indices)
    func matchesPyTorch(_ index: Int) {
        let c = Self.reference[index]
        let exact = c.name.hasPrefix("restarts") || c.name.hasPrefix("oneCycle")
        for (t, expected) in c.values.enumerated() {
            let value = c.schedule.value(at: t)
            if exact {
                #expect(value == expected, "\(c.name) at t = \(t): \(value) vs PyTorch's \(expected)")
            } else {
                expectClose(value, expected, relativeTolerance: 2e-15, "\(c.name) at t = \(t)")
            }
        }
    }

    /// Over a long horizon every value stays where `validate` says it does: never below the
    /// smallest value it checks (less an ulp of the largest, for the linear one-cycle's last step),
    /// never above the largest. In particular the linear one-cycle holds
    /// lr_min from t = T − 1 on, where PyTorch's would extrapolate below 0 at t = T.
    @Test func valuesStayInsideTheCheckedRange() {
        let cases: [(Schedule, ClosedRange<Double>)] = [
            (.multiStep(initial: 0.5, factor: 0.1, milestones: [3, 7, 7, 12]), 0.5e-4...0.5),
            (.cosineWithRestarts(initial: 0.5, period: 5, periodMultiplier: 3, final: 0.01), 0.01...0.5),
            (.polynomial(initial: 0.2, totalSteps: 37, power: 1.5), 0...0.2),
            (.oneCycle(maximum: 0.1, totalSteps: 50, annealing: .linear), 3.9e-7...0.1),
            (.oneCycle(maximum: 0.1, totalSteps: 50, warmupFraction: 0.7, threePhase: true), 3.9e-7...0.1),
        ]
        for (schedule, range) in cases {
            let outside = (0..<400).filter { !range.contains(schedule.value(at: $0)) }
            #expect(outside.isEmpty, "\(schedule.rule) leaves \(range) at t = \(outside.prefix(3))")
        }
        let linear = Schedule.oneCycle(maximum: 0.1, totalSteps: 50, annealing: .linear)
        #expect(linear.value(at: 50) == linear.value(at: 49) && linear.value(at: 10_000) == linear.value(at: 49))
        // lr_min = 0.1/25/10⁴ up to 3·10⁻¹⁷: (to − from)·1 + from rounds at the scale of the
        // maximum 0.1, whose ulp is 1.4·10⁻¹⁷ (PyTorch's formula, the same rounding).
        expectClose(linear.value(at: 49), 0.1 / 25 / 1e4, absoluteTolerance: 3e-17)
    }

    /// The whole horizon is checked when an optimizer is built: a bad value the schedule reaches
    /// only later is refused at construction, naming it.
    @Test func badValuesAnywhereOnTheHorizonAreRefused() throws {
        let layout = ParameterLayout.flat(count: 2)
        func refused(_ schedule: Schedule, value: Double, _ comment: Comment) {
            do {
                _ = try SGD(layout: layout, learningRate: schedule)
                Issue.record("accepted: \(comment)")
            } catch let OptimizerError.invalidHyperparameter(name, found, _) {
                #expect(name == "learningRate" && found == value, "\(comment): \(name) = \(found)")
            } catch {
                Issue.record("\(comment): \(error)")
            }
        }
        refused(.multiStep(initial: 0.1, factor: -0.5, milestones: [10]), value: -0.05, "a negative factor")
        refused(.multiStep(initial: 1e30, factor: 10, milestones: [5, 10]), value: 1e30 * pow(10, 2), "growth past the largest scale")
        refused(.cosineWithRestarts(initial: 0.1, period: 10, final: -0.01), value: -0.01, "a negative final value")
        refused(.oneCycle(maximum: -0.1, totalSteps: 10), value: -0.1, "a negative maximum")
        refused(.oneCycle(maximum: 0.1, totalSteps: 10, divisionFactor: 1e-33), value: 0.1 / 1e-33, "a start past the largest scale")
        // Reached values that are fine pass, the multi-step's growth included while it stays in range.
        _ = try SGD(layout: layout, learningRate: .multiStep(initial: 0.01, factor: 10, milestones: [100, 200]))
        _ = try SGD(layout: layout, learningRate: .polynomial(initial: 0.1, totalSteps: 5))
        _ = try SGD(layout: layout, learningRate: .oneCycle(maximum: 0.1, totalSteps: 100, threePhase: true))
    }

    @Test func codableRoundTripKeepsEveryOption() throws {
        for c in Self.reference {
            let decoded = try JSONDecoder().decode(Schedule.self, from: JSONEncoder().encode(c.schedule))
            #expect(decoded.rule == c.schedule.rule, "\(c.name)")
            #expect(c.values.indices.allSatisfy { decoded.value(at: $0) == c.schedule.value(at: $0) }, "\(c.name)")
        }
    }

    @Test func decodedStructuralErrorNamesTheValue() throws {
        let json = #"{"multiStep":{"initial":0.1,"factor":0.1,"milestones":[2,9,4]}}"#
        do {
            _ = try JSONDecoder().decode(Schedule.self, from: Data(json.utf8))
            Issue.record("unsorted milestones were decoded")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription.contains("non-decreasing order, got 9 then 4"), "\(context.debugDescription)")
        }
    }

    /// The factories stop on what decoding refuses (a programming error in code, as for `step`).
    @Test func factoriesStopOnStructuralErrors() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Schedule.oneCycle(maximum: 0.1, totalSteps: 10, warmupFraction: 0.1)
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("warmupFraction · totalSteps ≠ 1"), "\(text.prefix(300))")
    }
}
