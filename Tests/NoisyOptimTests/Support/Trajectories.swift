// Support: two optimizers run side by side, for the "equals its twin bit for bit" tests.

import Testing
@testable import NoisyOptim

/// Runs `first` and `second` for `steps` closure steps from θ = 0 on `objective` and expects the
/// same parameters, bit for bit.
func expectSameTrajectory<A: Optimizer, B: Optimizer>(_ first: A, _ second: B, objective: Objective, count: Int,
                                                      steps: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
    var first = first, second = second
    var a = Tensor.zeros([count]), b = a
    for _ in 0..<steps {
        try first.step(&a, objective: objective)
        try second.step(&b, objective: objective)
    }
    #expect(a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern), sourceLocation: sourceLocation)
}
