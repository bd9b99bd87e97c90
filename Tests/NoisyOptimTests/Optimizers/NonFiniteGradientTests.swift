import Testing
@testable import NoisyOptim

/// A NaN or ±∞ in the gradient never reaches the parameters unless the user asks for it, and a
/// refused step leaves the optimizer state exactly as it was.
@Suite struct NonFiniteGradientTests {
    static let bad: [Float] = [.nan, .infinity, -.infinity]

    /// Two good momentum steps, so there is a velocity and a step count to protect.
    func warmedUp(_ policy: NonFiniteGradientPolicy, clipping: GradientClipping? = nil) throws -> (SGD, Tensor) {
        var sgd = try SGD(layout: .flat(count: 5000), learningRate: 0.1, momentum: 0.9)
            .withClipping(clipping)
            .withNonFiniteGradientPolicy(policy)
        var theta = Tensor(shape: [5000], repeating: 1)
        try sgd.step(&theta, gradient: Tensor(shape: [5000], repeating: 0.5))
        try sgd.step(&theta, gradient: Tensor(shape: [5000], repeating: 0.25))
        return (sgd, theta)
    }

    func gradient(with value: Float, at position: Int) -> Tensor {
        var g = Tensor(shape: [5000], repeating: 0.1)
        g[position] = value
        return g
    }

    @Test(arguments: bad, [0, 2047, 4999])
    func throwErrorLeavesEverythingUnchanged(value: Float, position: Int) throws {
        for clipping in [nil, GradientClipping.globalNorm(1)] {
            var (sgd, theta) = try warmedUp(.throwError, clipping: clipping)
            let (stateBefore, thetaBefore) = (sgd.state, theta)
            #expect(throws: OptimizerError.nonFiniteGradient(step: 2, count: 1)) {
                try sgd.step(&theta, gradient: gradient(with: value, at: position))
            }
            #expect(sgd.state == stateBefore)
            #expect(theta == thetaBefore)
        }
    }

    @Test(arguments: bad)
    func skipStepLeavesEverythingUnchangedAndResumes(value: Float) throws {
        var (sgd, theta) = try warmedUp(.skipStep)
        var twin = sgd, twinTheta = theta
        let report = try sgd.step(&theta, gradient: gradient(with: value, at: 3000))
        #expect(report == StepReport(applied: false))
        #expect(sgd.state == twin.state && sgd.stepCount == 2)
        #expect(theta == twinTheta)
        // The next good step is the step the run would have taken without the bad gradient.
        try sgd.step(&theta, gradient: Tensor(shape: [5000], repeating: 0.3))
        try twin.step(&twinTheta, gradient: Tensor(shape: [5000], repeating: 0.3))
        #expect(theta == twinTheta && sgd.state == twin.state)
    }

    @Test func propagateLetsNaNThrough() throws {
        var (sgd, theta) = try warmedUp(.propagate)
        try sgd.step(&theta, gradient: gradient(with: .nan, at: 10))
        #expect(theta[10].isNaN)
        #expect(!theta[11].isNaN)
        #expect(sgd.stepCount == 3)
    }

    @Test func countsEveryNonFiniteValue() throws {
        var sgd = try SGD(layout: .flat(count: 40_000), learningRate: 0.1)
        var theta = Tensor.zeros([40_000])
        var g = Tensor.zeros([40_000])
        for i in [0, 15, 16, 17, 16_383, 16_384, 39_999] { g[i] = i % 2 == 0 ? .nan : -.infinity }
        #expect(throws: OptimizerError.nonFiniteGradient(step: 0, count: 7)) { try sgd.step(&theta, gradient: g) }
        // Large but finite values are not counted.
        g = Tensor(shape: [40_000], repeating: .greatestFiniteMagnitude)
        try sgd.step(&theta, gradient: g)
    }
}
