import Foundation
import Testing
import NoisyOptim

/// Schedules are checked over their whole horizon when an optimizer is built; a closure that
/// turns bad at step t stops the run there with a typed error and nothing written; a decoded
/// schedule passes the factories' checks.
@Suite struct ScheduleValidationTests {
    static let n = 3000 // over one block, so the block loop and the fused path both run
    static let turnStep = 3

    /// `bad` on steps 3 to 9, 0.1 elsewhere: construction samples a closure only at
    /// t = 0, 1, 2, 10, 100, …, so this one passes it and only the step can catch it.
    static func turning(to bad: Double) -> Schedule {
        .custom { (turnStep..<10).contains($0) ? bad : 0.1 }
    }

    /// Steps `optimizer` until the closure turns, then checks that step throws naming it, t and
    /// the value, and that parameters and state are unchanged by the refused step.
    func expectRefusedAtTurn<O: Optimizer>(_ optimizer: inout O, name: String, bad: Double) throws {
        var theta = Tensor(shape: [Self.n], repeating: 1)
        let gradient = Tensor(shape: [Self.n], repeating: 0.5)
        for _ in 0..<Self.turnStep { try optimizer.step(&theta, gradient: gradient) }
        let (stateBefore, thetaBefore) = (optimizer.state, theta)
        do {
            try optimizer.step(&theta, gradient: gradient)
            Issue.record("\(name) = \(bad) at step \(Self.turnStep) was used")
        } catch let OptimizerError.invalidScheduleValue(errorName, step, value, _) {
            #expect(errorName == name)
            #expect(step == Self.turnStep)
            #expect(value == bad || (value.isNaN && bad.isNaN))
        }
        #expect(optimizer.state == stateBefore)
        #expect(theta == thetaBefore)
        #expect(optimizer.stepCount == Self.turnStep)
    }

    @Test(arguments: [-0.1, .nan, 1e39, .infinity])
    func learningRateClosure(bad: Double) throws {
        var sgd = try SGD(layout: .flat(count: Self.n), learningRate: Self.turning(to: bad), momentum: 0.9)
        try expectRefusedAtTurn(&sgd, name: "learningRate", bad: bad)
        var adam = try Adam(layout: .flat(count: Self.n), learningRate: .warmup(steps: 1, then: Self.turning(to: bad)))
        // After a one-step warm-up the closure's clock lags by one: its step 3 is the optimizer's step 4.
        var theta = Tensor(shape: [Self.n], repeating: 1)
        let gradient = Tensor(shape: [Self.n], repeating: 0.5)
        for _ in 0...Self.turnStep { try adam.step(&theta, gradient: gradient) }
        let before = adam.state
        do {
            try adam.step(&theta, gradient: gradient)
            Issue.record("Adam used learningRate = \(bad)")
        } catch let OptimizerError.invalidScheduleValue(name, step, _, _) {
            #expect(name == "learningRate" && step == Self.turnStep + 1)
        }
        #expect(adam.state == before)
    }

    @Test(arguments: [-0.3, 1e39])
    func etaClosure(bad: Double) throws {
        var sgd = try SGD(layout: .flat(count: Self.n), learningRate: 0.1, momentum: 0.9).withGradientNoise(GradientNoise(eta: Self.turning(to: bad), seed: 7))
        try expectRefusedAtTurn(&sgd, name: "eta", bad: bad)
    }

    @Test(arguments: [false, true])
    func sigmaClosure(antiCorrelated: Bool) throws {
        let bad = -0.2
        var pgd = try PerturbedGD(layout: .flat(count: Self.n), learningRate: 0.1, perturbation: Perturbation(sigma: Self.turning(to: bad), mode: .everyParameter, antiCorrelated: antiCorrelated, seed: 3))
        let objective: Objective = { point, _ in (0, point * 0.5) }
        var theta = Tensor(shape: [Self.n], repeating: 1)
        // Anti-PGD adds ξₜ₊₁ at step t, so it meets the bad σ one step earlier.
        let firstBad = antiCorrelated ? Self.turnStep - 1 : Self.turnStep
        for _ in 0..<firstBad { try pgd.step(&theta, objective: objective) }
        let (stateBefore, thetaBefore) = (pgd.state, theta)
        #expect(throws: OptimizerError.invalidScheduleValue(name: "sigma", step: Self.turnStep, value: bad,
                                                            requirement: "a value from 0 to 2.0282408e+31")) {
            try pgd.step(&theta, objective: objective)
        }
        #expect(pgd.state == stateBefore)
        #expect(theta == thetaBefore)
    }

    /// With gradients computed by the caller at `perturbedPoint`, the step refuses the bad σ
    /// (perturbedPoint cannot throw; it leaves the point unperturbed for a step that will not run).
    @Test func sigmaClosureWithCallerGradients() throws {
        let bad = -0.2
        var pgd = try PerturbedGD(layout: .flat(count: Self.n), learningRate: 0.1, perturbation: Perturbation(sigma: Self.turning(to: bad), mode: .everyParameter, seed: 3))
        var theta = Tensor(shape: [Self.n], repeating: 1)
        for _ in 0..<Self.turnStep { try pgd.step(&theta, gradient: pgd.perturbedPoint(theta) * 0.5) }
        let (stateBefore, thetaBefore) = (pgd.state, theta)
        let point = pgd.perturbedPoint(theta)
        #expect(point == theta)
        do {
            try pgd.step(&theta, gradient: point * 0.5)
            Issue.record("sigma = \(bad) was used")
        } catch let OptimizerError.invalidScheduleValue(name, step, value, _) {
            #expect(name == "sigma" && step == Self.turnStep && value == bad)
        }
        #expect(pgd.state == stateBefore)
        #expect(theta == thetaBefore)
    }

    /// A growing exponential is allowed (its run is finite), and the step whose value passes the
    /// largest accepted scale is refused like a bad closure.
    @Test func growingExponentialIsRefusedWhereItOverflows() throws {
        var sgd = try SGD(layout: .flat(count: 8), learningRate: .exponential(initial: 1e30, factor: 10))
        var theta = Tensor(shape: [8], repeating: 1)
        let gradient = Tensor(shape: [8], repeating: 0)
        try sgd.step(&theta, gradient: gradient)      // 10³⁰
        try sgd.step(&theta, gradient: gradient)      // 10³¹
        #expect(throws: OptimizerError.self) { try sgd.step(&theta, gradient: gradient) } // 10³² > 2·10³¹
        #expect(sgd.stepCount == 2)
    }

    /// The issue's cases: these passed the old sampled check and trapped much later.
    @Test func wholeHorizonCases() {
        let layout = ParameterLayout.flat(count: 2)
        #expect(throws: OptimizerError.self) {
            _ = try SGD(layout: layout, learningRate: .cosine(initial: 0.1, totalSteps: 30_000, final: -0.1))
        }
        #expect(throws: OptimizerError.self) { _ = try SGD(layout: layout, learningRate: .inverseTime(initial: 0.1, rate: -1e-5)) }
    }

    static let undecodable: [String] = [
        #"{"step":{"initial":0.1,"factor":0.5,"every":0}}"#,
        #"{"step":{"initial":0.1,"factor":0.5,"every":-3}}"#,
        #"{"cosine":{"initial":0.1,"totalSteps":0,"final":0}}"#,
        #"{"inverseTime":{"initial":0.1,"rate":0.5,"every":0}}"#,
        #"{"inversePower":{"scale":0.1,"offset":0,"exponent":0.55}}"#,
        #"{"inversePower":{"scale":0.1,"offset":1,"exponent":-1}}"#,
        #"{"warmup":{"steps":0,"from":0,"then":{"constant":{"_0":0.1}}}}"#,
        #"{"warmup":{"steps":5,"from":0,"then":{"cosine":{"initial":1,"totalSteps":-1,"final":0}}}}"#,
        #"{"multiStep":{"initial":0.1,"factor":0.1,"milestones":[5,3]}}"#,
        #"{"multiStep":{"initial":0.1,"factor":0.1,"milestones":[-1,3]}}"#,
        #"{"multiStep":{"initial":0.1,"factor":0.1}}"#,
        #"{"cosineWithRestarts":{"initial":0.1,"period":0,"periodMultiplier":1,"final":0}}"#,
        #"{"cosineWithRestarts":{"initial":0.1,"period":5,"periodMultiplier":0,"final":0}}"#,
        #"{"polynomial":{"initial":0.1,"totalSteps":0,"power":1}}"#,
        #"{"polynomial":{"initial":0.1,"totalSteps":10,"power":-1}}"#,
        #"{"oneCycle":{"maximum":0.1,"totalSteps":10,"warmupFraction":1.5,"annealing":"cosine","divisionFactor":25,"finalDivisionFactor":10000,"threePhase":false}}"#,
        #"{"oneCycle":{"maximum":0.1,"totalSteps":10,"warmupFraction":0.1,"annealing":"cosine","divisionFactor":25,"finalDivisionFactor":10000,"threePhase":false}}"#,
        #"{"oneCycle":{"maximum":0.1,"totalSteps":10,"warmupFraction":0.3,"annealing":"cosine","divisionFactor":0,"finalDivisionFactor":10000,"threePhase":false}}"#,
        #"{"oneCycle":{"maximum":0.1,"totalSteps":0,"warmupFraction":0.3,"annealing":"cosine","divisionFactor":25,"finalDivisionFactor":10000,"threePhase":false}}"#,
        #"{"oneCycle":{"maximum":0.1,"totalSteps":10,"warmupFraction":0.3,"annealing":"exponential","divisionFactor":25,"finalDivisionFactor":10000,"threePhase":false}}"#,
        #"{"custom":{}}"#,
        #"{"constant":{"_0":"fast"}}"#,
        #"{"linear":{"initial":0.1}}"#,
        #"{"step":{"initial":0.1,"factor":0.5}}"#,
    ]

    @Test(arguments: undecodable)
    func invalidJSONIsADecodingError(_ json: String) {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Schedule.self, from: Data(json.utf8)) }
    }

    @Test func decodedStructuralErrorNamesTheValue() throws {
        let json = #"{"step":{"initial":0.1,"factor":0.5,"every":0}}"#
        do {
            _ = try JSONDecoder().decode(Schedule.self, from: Data(json.utf8))
            Issue.record("every = 0 was decoded")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription.contains("every > 0, got 0"))
        }
    }
}
