// What a user can write with `import NoisyOptim` alone: a training loop on the tape's gradients,
// where a NaN in one step's loss is refused however the gradient came (through the objective
// closure, or taken by hand and passed to the step, or written to after the tape made it).

import NoisyOptim
import Testing

@Suite struct NonFiniteGradientAPITests {
    /// A linear least-squares model whose targets can hold a NaN at one row.
    static func objective(targets: [Float]) -> (layout: ParameterLayout, objective: Objective) {
        var layout = ParameterLayout()
        let w = layout.append("w", shape: [3, 1], role: .weight)
        let b = layout.append("b", shape: [1], role: .bias)
        let x = Tensor(shape: [4, 3], scalars: [1, 0, 2, 0, 1, 1, 2, 1, 0, 1, 1, 1])
        let y = Tensor(shape: [4, 1], scalars: targets)
        return (layout, NoisyOptim.objective(in: layout) { tape, _ in
            squaredError(predictions: linear(tape.constant(x), weight: tape.parameter(w), bias: tape.parameter(b)),
                         targets: tape.constant(y), convention: .half).mean()
        })
    }

    @Test func tapeGradientWithANaNIsRefusedEveryWay() throws {
        let good = NonFiniteGradientAPITests.objective(targets: [1, 2, 3, 4])
        let bad = NonFiniteGradientAPITests.objective(targets: [1, .nan, 3, 4])
        var adam = try Adam(layout: good.layout, learningRate: 0.1)
        var theta = Tensor(shape: [good.layout.count], scalars: [0.1, -0.2, 0.3, 0])
        for _ in 0..<3 { try adam.step(&theta, objective: good.objective) }
        let before = (theta.scalars, adam.state)

        #expect(throws: OptimizerError.self) { try adam.step(&theta, objective: bad.objective) }
        let (_, g) = try bad.objective(theta, .full(exampleCount: 1))
        #expect(throws: OptimizerError.self) { try adam.step(&theta, gradient: g) }
        var written = try good.objective(theta, .full(exampleCount: 1)).gradient
        written[0] = .infinity
        #expect(throws: OptimizerError.self) { try adam.step(&theta, gradient: written) }
        #expect(theta.scalars == before.0 && adam.state == before.1)

        var skipping = adam.withNonFiniteGradientPolicy(.skipStep)
        let report = try skipping.step(&theta, objective: bad.objective)
        #expect(!report.applied && report.loss?.isNaN == true)
        #expect(theta.scalars == before.0 && skipping.state == before.1)
        // A good step still goes through, from where the run was.
        try adam.step(&theta, objective: good.objective)
        #expect(adam.stepCount == 4 && theta.scalars != before.0)
    }
}
