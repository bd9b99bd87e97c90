import Testing
@testable import NoisyOptim

/// Every invalid hyperparameter throws at construction, naming itself and its value.
@Suite struct HyperparameterTests {
    static let layout = ParameterLayout.flat(count: 4)

    static let invalid: [(name: String, value: Double, make: @Sendable () throws -> Void)] = [
        ("learningRate", -0.1, { _ = try SGD(layout: layout, learningRate: -0.1) }),
        ("learningRate", -1, { _ = try SGD(layout: layout, learningRate: .warmup(steps: 10, from: -1, then: 0.1)) }),
        ("momentum", 1, { _ = try SGD(layout: layout, learningRate: 0.1, momentum: 1) }),
        ("momentum", -0.5, { _ = try SGD(layout: layout, learningRate: 0.1, momentum: -0.5) }),
        ("dampening", 0.1, { _ = try SGD(layout: layout, learningRate: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true) }),
        ("momentum", 0, { _ = try SGD(layout: layout, learningRate: 0.1, nesterov: true) }),
        ("dampening", 1.5, { _ = try SGD(layout: layout, learningRate: 0.1, momentum: 0.9, dampening: 1.5) }),
        ("weightDecay", -1e-4, { _ = try SGD(layout: layout, learningRate: 0.1, weightDecay: -1e-4) }),
        ("maxNorm", 0, { _ = try SGD(layout: layout, learningRate: 0.1).withClipping(.globalNorm(0)) }),
        ("clipValue", -1, { _ = try SGD(layout: layout, learningRate: 0.1).withClipping(.value(-1)) }),
        ("beta1", 1, { _ = try Adam(layout: layout, beta1: 1) }),
        ("beta2", -0.1, { _ = try Adam(layout: layout, beta2: -0.1) }),
        ("epsilon", 0, { _ = try Adam(layout: layout, epsilon: 0) }),
        ("weightDecay", -0.01, { _ = try AdamW(layout: layout, weightDecay: -0.01) }),
    ]

    @Test(arguments: invalid.indices)
    func throwsNamingTheValue(_ index: Int) {
        let c = Self.invalid[index]
        do {
            try c.make()
            Issue.record("\(c.name) = \(c.value) was accepted")
        } catch let OptimizerError.invalidHyperparameter(name, value, requirement) {
            #expect(name == c.name)
            #expect(value == c.value)
            #expect(!requirement.isEmpty)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func descriptionNamesNameValueAndRequirement() {
        let error = OptimizerError.invalidHyperparameter(name: "momentum", value: 1, requirement: "0 ≤ momentum < 1")
        #expect(error.description == "invalid hyperparameter momentum = 1.0: requires 0 ≤ momentum < 1")
    }

    @Test func nanIsRejected() {
        #expect(throws: OptimizerError.self) { _ = try SGD(layout: Self.layout, learningRate: .constant(.nan)) }
        #expect(throws: OptimizerError.self) { _ = try SGD(layout: Self.layout, learningRate: 0.1, momentum: .nan) }
    }

    @Test func validEdgeValuesAreAccepted() throws {
        _ = try SGD(layout: Self.layout, learningRate: 0, momentum: 0, dampening: 1)
        _ = try Adam(layout: Self.layout, beta1: 0, beta2: 0)
    }
}
