import Foundation
import Testing
@testable import NoisyOptim

/// Adagrad, RMSprop, Adadelta and AMSGrad against PyTorch's update rules written out in Double,
/// option by option. (The Double references were checked once against `torch.optim.Adagrad`,
/// `RMSprop`, `Adadelta` and `Adam(amsgrad=True)` in
/// float64, PyTorch 2.15, on these very cases: they agree to 5·10⁻¹⁶.)
/// The Float32 run differs from the Double reference by the rounding of a handful of operations
/// per step, amplified at most by the division by √s or √v: 2·10⁻⁵ relative covers 4 steps.
@Suite struct AdaptiveOptimizerTests {
    static let theta0: [Double] = [0.5, -1.25, 2, 0.1, -0.3, 1.5, -2, 0.75, 0.05]
    static let gradients: [[Double]] = [
        [0.3, -0.2, 1.5, 0, 0.01, -4, 2.5, 0.7, -0.05],
        [-0.1, 0.4, 1.2, 0.2, -0.02, -3, 2, 0.6, 0.1],
        [0.25, -0.5, 0.9, -0.3, 0.05, -2.5, 1.5, 0.4, 0],
        [0.05, 0.1, 0.6, 0.1, -0.04, -2, 1, 0.2, -0.1],
    ]

    /// Runs `optimizer` on the fixed gradients and compares every step with `reference(θ, g, t)`
    /// (also the samplers' hand-computed steps, with their own absolute tolerance).
    static func expectMatchesReference<O: Optimizer>(_ optimizer: O, _ name: String, absoluteTolerance: Float = 1e-7,
                                                     reference: (inout [Double], [Double], Int) -> Void) throws {
        var optimizer = optimizer
        var theta = Tensor(theta0.map(Float.init)), expected = theta0
        for (t, g) in gradients.enumerated() {
            try optimizer.step(&theta, gradient: Tensor(g.map(Float.init)))
            reference(&expected, g, t)
            expectClose(theta.scalars, expected.map(Float.init), absoluteTolerance: absoluteTolerance,
                        relativeTolerance: 2e-5, "\(name), step \(t)")
        }
    }

    private func expectMatchesReference<O: Optimizer>(_ optimizer: O, _ name: String,
                                                      reference: (inout [Double], [Double], Int) -> Void) throws {
        try Self.expectMatchesReference(optimizer, name, reference: reference)
    }

    @Test(arguments: [(0.1, 0.0, 0.0, 1e-10), (0.1, 0.05, 0.0, 1e-10), (0.05, 0.0, 0.5, 1e-10),
                      (0.1, 0.0, 0.0, 1e-3), (0.1, 0.02, 0.3, 1e-6)])
    func adagradMatchesPyTorch(lr: Double, lrDecay: Double, initialAccumulator: Double, epsilon: Double) throws {
        for weightDecay in [0.0, 0.1] {
            let adagrad = try Adagrad(layout: .flat(count: 9), learningRate: lr, learningRateDecay: lrDecay,
                                      initialAccumulatorValue: initialAccumulator, weightDecay: weightDecay, epsilon: epsilon)
            var sums = [Double](repeating: initialAccumulator, count: 9)
            try expectMatchesReference(adagrad, "Adagrad λ = \(weightDecay)") { theta, g, t in
                let clr = lr / (1 + Double(t) * lrDecay)
                for i in 0..<9 {
                    let d = g[i] + weightDecay * theta[i]
                    sums[i] += d * d
                    theta[i] -= clr * d / (sums[i].squareRoot() + epsilon)
                }
            }
        }
    }

    @Test(arguments: [false, true], [0.0, 0.9])
    func rmspropMatchesPyTorch(centered: Bool, momentum: Double) throws {
        for (alpha, epsilon, weightDecay) in [(0.99, 1e-8, 0.0), (0.9, 1e-4, 0.05)] {
            let lr = 0.01
            let rmsprop = try RMSprop(layout: .flat(count: 9), learningRate: lr, alpha: alpha, epsilon: epsilon,
                                      weightDecay: weightDecay, momentum: momentum, centered: centered)
            var v = [Double](repeating: 0, count: 9), m = v, b = v
            try expectMatchesReference(rmsprop, "RMSprop α = \(alpha), centred \(centered), μ = \(momentum)") { theta, g, _ in
                for i in 0..<9 {
                    let d = g[i] + weightDecay * theta[i]
                    v[i] = alpha * v[i] + (1 - alpha) * d * d
                    var variance = v[i]
                    if centered {
                        m[i] = alpha * m[i] + (1 - alpha) * d
                        variance -= m[i] * m[i]
                    }
                    var step = d / (abs(variance).squareRoot() + epsilon)
                    if momentum > 0 {
                        b[i] = momentum * b[i] + step
                        step = b[i]
                    }
                    theta[i] -= lr * step
                }
            }
        }
    }

    @Test(arguments: [(1.0, 0.9, 1e-6, 0.0), (0.5, 0.95, 1e-4, 0.1), (1.0, 0.0, 1e-6, 0.0)])
    func adadeltaMatchesPyTorch(lr: Double, rho: Double, epsilon: Double, weightDecay: Double) throws {
        let adadelta = try Adadelta(layout: .flat(count: 9), learningRate: lr, rho: rho, epsilon: epsilon, weightDecay: weightDecay)
        var v = [Double](repeating: 0, count: 9), u = v
        try expectMatchesReference(adadelta, "Adadelta ρ = \(rho), λ = \(weightDecay)") { theta, g, _ in
            for i in 0..<9 {
                let d = g[i] + weightDecay * theta[i]
                v[i] = rho * v[i] + (1 - rho) * d * d
                let delta = (u[i] + epsilon).squareRoot() / (v[i] + epsilon).squareRoot() * d
                u[i] = rho * u[i] + (1 - rho) * delta * delta
                theta[i] -= lr * delta
            }
        }
    }

    @Test(arguments: [(0.9, 0.999, 1e-8, 0.0), (0.8, 0.5, 1e-6, 0.1)])
    func amsgradMatchesPyTorch(beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double) throws {
        // β₂ = 0.5 lets v fall on the later, smaller gradients, so the maximum is what acts.
        let lr = 0.01
        let amsgrad = try AMSGrad(layout: .flat(count: 9), learningRate: lr, beta1: beta1, beta2: beta2, epsilon: epsilon,
                                  weightDecay: weightDecay)
        let (b1, b2) = (Double(Float(beta1)), Double(Float(beta2))) // the bias corrections use β in Float32
        var m = [Double](repeating: 0, count: 9), v = m, vmax = m
        try expectMatchesReference(amsgrad, "AMSGrad β₂ = \(beta2)") { theta, g, t in
            let correction1 = 1 - pow(b1, Double(t + 1)), correction2 = 1 - pow(b2, Double(t + 1))
            for i in 0..<9 {
                let d = g[i] + weightDecay * theta[i]
                m[i] = beta1 * m[i] + (1 - beta1) * d
                v[i] = beta2 * v[i] + (1 - beta2) * d * d
                vmax[i] = max(vmax[i], v[i])
                theta[i] -= lr / correction1 * m[i] / (vmax[i].squareRoot() / correction2.squareRoot() + epsilon)
            }
        }
    }

    @Test func bothResumeBitForBitWithEveryNoiseSite() throws {
        // 6 closure steps straight vs 3, a JSON checkpoint into a fresh optimizer, and 3 more.
        let p = LeastSquares.synthetic()
        func sites<R, U>(_ o: ChainOptimizer<R, U>) throws -> ChainOptimizer<R, U> {
            try o.withSampling(RandomBatch(exampleCount: p.rows, batchSize: 8), seed: 1)
                .withPerturbation(Perturbation(sigma: 0.01, mode: .everyParameter, seed: 2))
                .withGradientNoise(GradientNoise(eta: 0.01, seed: 3))
        }
        func resumes<O: Optimizer>(_ make: () throws -> O) throws {
            var straight = try make(), x = Tensor.zeros([p.columns])
            for _ in 0..<6 { try straight.step(&x, objective: p.objective) }
            var first = try make(), y = Tensor.zeros([p.columns])
            for _ in 0..<3 { try first.step(&y, objective: p.objective) }
            var resumed = try make()
            try resumed.restore(try JSONDecoder().decode(O.State.self, from: JSONEncoder().encode(first.state)))
            for _ in 0..<3 { try resumed.step(&y, objective: p.objective) }
            #expect(y.scalars.map(\.bitPattern) == x.scalars.map(\.bitPattern), "\(O.self)")
            #expect(resumed.state == straight.state)
        }
        try resumes { try sites(Adagrad(layout: .flat(count: p.columns), learningRate: 0.05)) }
        try resumes { try sites(RMSprop(layout: .flat(count: p.columns), momentum: 0.5, centered: true)) }
        try resumes { try sites(Adadelta(layout: .flat(count: p.columns))) }
        try resumes { try sites(AMSGrad(layout: .flat(count: p.columns), learningRate: 0.01, beta2: 0.9)) }
    }

    @Test func invalidValuesAreRefusedByName() throws {
        #expect(throws: OptimizerError.self) { _ = try Adagrad(layout: .flat(count: 1), epsilon: 0) }
        #expect(throws: OptimizerError.self) { _ = try Adagrad(layout: .flat(count: 1), initialAccumulatorValue: -1) }
        #expect(throws: OptimizerError.invalidHyperparameter(name: "learningRateDecay", value: 0.1,
                                                             requirement: "0 unless the learning rate is a constant")) {
            _ = try Adagrad(layout: .flat(count: 1), learningRate: .cosine(initial: 0.1, totalSteps: 10), learningRateDecay: 0.1)
        }
        #expect(throws: OptimizerError.self) { _ = try RMSprop(layout: .flat(count: 1), alpha: 1) }
        #expect(throws: OptimizerError.self) { _ = try RMSprop(layout: .flat(count: 1), momentum: -0.1) }
        var rmsprop = try RMSprop(layout: .flat(count: 4), centered: true)
        var foreign = rmsprop.state
        foreign.rule.second.gradientAverage = .zeros([3])
        #expect(throws: OptimizerError.stateMismatch(part: "rmsprop.gradientAverage", expected: "shape [4]", found: "shape [3]")) {
            try rmsprop.restore(foreign)
        }
    }
}
