import Foundation
import Testing
@testable import NoisyOptim

/// Jin et al.'s perturbed GD on f(x, y) = x² − y² + y⁴/4: a strict saddle at (0, 0) (Hessian
/// diag(2, −2)) and minima at (0, ±√2) with f = −1 (Hessian diag(2, 4)).
@Suite struct SaddleEscapeTests {
    static func objective(_ point: Tensor, _ weights: SampleWeights) -> (loss: Float, gradient: Tensor) {
        let x = Double(point.scalars[0]), y = Double(point.scalars[1])
        return (Float(x * x - y * y + y * y * y * y / 4), Tensor([Float(2 * x), Float(-2 * y + y * y * y)]))
    }

    static let rule = SaddlePerturbation(radius: 0.01, gradientThreshold: 1e-3, waitSteps: 20, seed: 0)

    @Test func plainGradientDescentNeverLeavesTheSaddle() throws {
        // ∇f(0, 0) = (0, 0) exactly, so every step adds −η·0 = 0: the iterate stays bit for bit.
        var sgd = try SGD(layout: .flat(count: 2), learningRate: 0.05)
        var theta = Tensor([Float(0), 0])
        for _ in 0..<300 { try sgd.step(&theta, objective: Self.objective) }
        #expect(theta.scalars.map(\.bitPattern) == [0, 0])
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func perturbedGradientDescentReachesAMinimum(seed: UInt64) throws {
        // η = 0.05: near the saddle y grows by 1 + 2η = 1.1 a step and x shrinks by 0.9, so a kick of
        // radius 0.01 reaches |y| ~ 1 within ~100 steps even with a y-component of 10⁻⁴. Once at a
        // minimum the gradient falls below g_thres again and the rule keeps kicking, by at most
        // r = 0.01, every 21 steps (contracting by 0.9 and 0.8 per step in between): so the final
        // point is within r of (0, ±√2), plus Float rounding: tolerance 0.0101. (Seen: 0.0005–0.0043;
        // seeds 2 and 3 go to −√2, the others to +√2.)
        var rule = Self.rule
        rule.seed = seed
        var pgd = try JinPGD(layout: .flat(count: 2), learningRate: 0.05, saddlePerturbation: rule)
        var theta = Tensor([Float(0), 0])
        for _ in 0..<400 { try pgd.step(&theta, objective: Self.objective) }
        let x = Double(theta.scalars[0]), y = Double(theta.scalars[1])
        let distance = (x * x + (abs(y) - 2.0.squareRoot()) * (abs(y) - 2.0.squareRoot())).squareRoot()
        #expect(distance <= 0.0101, "seed \(seed): ended at (\(x), \(y))")
        #expect(Double(Self.objective(theta, .full(exampleCount: 1)).loss) < -0.999, "f = −1 at the minima")
        #expect(pgd.state.update.lastPerturbationStep != nil)
    }

    @Test func perturbsExactlyWhenTheRuleSays() throws {
        // g_thres = 0.1, t_thres = 2. Norms 0, .05, 0, .05, .5, 0, .2, 0: t = 0 (none before), t = 3
        // (3 − 0 > 2), t = 7 (4 > 2; t = 4 is too steep, t = 5 too soon, t = 6 too steep).
        let norms: [Float] = [0, 0.05, 0, 0.05, 0.5, 0, 0.2, 0]
        let rule = SaddlePerturbation(radius: 0.3, gradientThreshold: 0.1, waitSteps: 2, seed: 9)
        let n = 5, eta = 0.1
        var pgd = try JinPGD(layout: .flat(count: n), learningRate: eta, saddlePerturbation: rule)
        var theta = Tensor([Float](repeating: 1, count: n))
        var kicks: [Int] = []
        for (t, norm) in norms.enumerated() {
            let g = (0..<n).map { i in norm * Float(i == 0 ? 0.6 : i == 1 ? 0.8 : 0) }   // ‖g‖ = norm
            let before = theta.scalars
            try pgd.step(&theta, gradient: Tensor(g))
            // The kick written out: ξ = r·U^{1/P}·z/‖z‖ from the step's z and U.
            var z = [Float](repeating: 0, count: n)
            z.withUnsafeMutableBufferPointer {
                NoiseStream(seed: 9, stream: PerturbAtSaddles.directionStream).fillNormal($0, step: t, position: 0)
            }
            let length = z.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let radius = 0.3 * PerturbAtSaddles.radiusFraction(seed: 9, step: t, dimension: n)
            let kicked = pgd.state.update.lastPerturbationStep == t
            if kicked { kicks.append(t) }
            let expected = (0..<n).map { i in
                Float(Double(before[i]) - eta * Double(g[i]) + (kicked ? radius * Double(z[i]) / length : 0))
            }
            // A few roundings of values ≤ 1.3: 4·10⁻⁷ absolute.
            expectClose(theta.scalars, expected, absoluteTolerance: 4e-7, "step \(t)")
            if kicked {
                let xi = (0..<n).map { Double(theta.scalars[$0]) - Double(before[$0]) + eta * Double(g[$0]) }
                let size = xi.reduce(0) { $0 + $1 * $1 }.squareRoot()
                #expect(size <= 0.3 * (1 + 1e-6) && size > 0, "‖ξ‖ = \(size) must lie in the ball of radius 0.3")
            }
        }
        #expect(kicks == [0, 3, 7])
    }

    @Test func kicksAreUniformInTheBall() throws {
        // For ξ uniform in the P-ball of radius r, (‖ξ‖/r)ᴾ is Uniform(0, 1). 2,000 seeds, P = 3, from
        // a zero gradient so Δθ = ξ; the empirical CDF at 1/4, 1/2, 3/4 has σ ≤ √(¼/2000) = 0.011,
        // so ±0.04 is ≥ 3.5σ. A direction with ‖ξ‖ = r always (no U^{1/P}) gives CDF 0 and fails.
        let draws = 2_000, r = 0.5
        var fractions: [Double] = []
        for seed in 0..<draws {
            let rule = SaddlePerturbation(radius: r, gradientThreshold: 0, waitSteps: 0, seed: UInt64(seed))
            var pgd = try JinPGD(layout: .flat(count: 3), learningRate: 0.1, saddlePerturbation: rule)
            var theta = Tensor.zeros([3])
            try pgd.step(&theta, gradient: .zeros([3]))
            let size = theta.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            fractions.append(pow(size / r, 3))
        }
        for q in [0.25, 0.5, 0.75] {
            let cdf = Double(fractions.filter { $0 <= q }.count) / Double(draws)
            #expect(abs(cdf - q) <= 0.04, "P[(‖ξ‖/r)³ ≤ \(q)] = \(cdf)")
        }
        #expect(fractions.allSatisfy { $0 <= 1 + 1e-5 })
    }

    @Test func constantsFollowAlgorithm2() throws {
        // Computed by hand (in Python, float64) from χ = 3·max{ln(dℓΔf/(cε²δ)), 4}, η = c/ℓ,
        // r = √c/χ²·ε/ℓ, g_thres = √c/χ²·ε, f_thres = c/χ³·√(ε³/ρ), t_thres = χ/c²·ℓ/√(ρε).
        let a = try SaddleEscapeConstants(smoothness: 10, hessianLipschitz: 6, epsilon: 0.1, c: 0.5, delta: 0.1,
                                          functionGap: 1, dimension: 2)
        expectClose(a.chi, 31.789904199288216, relativeTolerance: 1e-14)
        expectClose(a.learningRate, 0.05, relativeTolerance: 1e-14)
        expectClose(a.radius, 6.996914449557378e-06, relativeTolerance: 1e-14)
        expectClose(a.gradientThreshold, 6.996914449557378e-05, relativeTolerance: 1e-14)
        expectClose(a.functionThreshold, 2.0092164338986524e-07, relativeTolerance: 1e-14)
        expectClose(a.waitSteps, 1641.6235938849666, relativeTolerance: 1e-14)
        #expect(a.perturbation(seed: 3).waitSteps == 1641)
        // ln(2) < 4, so χ = 12.
        let b = try SaddleEscapeConstants(smoothness: 1, hessianLipschitz: 1, epsilon: 1, c: 1, delta: 0.5,
                                          functionGap: 1, dimension: 1)
        #expect(b.chi == 12)
        expectClose(b.radius, 0.006944444444444444, relativeTolerance: 1e-14)
        expectClose(b.functionThreshold, 0.0005787037037037037, relativeTolerance: 1e-14)
        #expect(b.waitSteps == 12)
        let pgd = try JinPGD(layout: .flat(count: 1), constants: b, seed: 4)
        #expect(pgd.update.perturbation == SaddlePerturbation(radius: b.radius, gradientThreshold: b.gradientThreshold,
                                                               waitSteps: 12, seed: 4))
        #expect(pgd.learningRate.value(at: 0) == 1)
    }

    @Test func resumesBitForBitWithEveryNoiseSite() throws {
        // g_thres = 10³ and t_thres = 1: kicks at steps 0, 2 and 4, so the resumed half needs t_noise
        // (a lost one would kick at step 3 too).
        let p = LeastSquares.synthetic()
        let rule = SaddlePerturbation(radius: 0.05, gradientThreshold: 1e3, waitSteps: 1, seed: 5)
        try expectResumesBitForBit("Jin PGD") {
            try withEveryNoiseSite(JinPGD(layout: .flat(count: p.columns), learningRate: 0.01, saddlePerturbation: rule),
                                   exampleCount: p.rows)
        }
        try expectResumesBitForBit("Adam with saddle kicks") {
            try withEveryNoiseSite(Adam(layout: .flat(count: p.columns), learningRate: 0.01), exampleCount: p.rows)
                .escapingSaddles(rule)
        }
    }

    @Test func invalidValuesAreRefusedByName() throws {
        func make(_ rule: SaddlePerturbation) throws { _ = try JinPGD(layout: .flat(count: 2), learningRate: 0.1, saddlePerturbation: rule) }
        #expect(throws: OptimizerError.invalidHyperparameter(name: "radius", value: 0,
                                                             requirement: "a normal Float32 from \(Float.leastNormalMagnitude) to \(Float(Hyperparameter.largest))")) {
            try make(SaddlePerturbation(radius: 0, gradientThreshold: 1, waitSteps: 1, seed: 0))
        }
        #expect(throws: OptimizerError.self) { try make(SaddlePerturbation(radius: .nan, gradientThreshold: 1, waitSteps: 1, seed: 0)) }
        #expect(throws: OptimizerError.self) { try make(SaddlePerturbation(radius: 1, gradientThreshold: -1, waitSteps: 1, seed: 0)) }
        #expect(throws: OptimizerError.invalidHyperparameter(name: "waitSteps", value: -1, requirement: "an integer ≥ 0")) {
            try make(SaddlePerturbation(radius: 1, gradientThreshold: 1, waitSteps: -1, seed: 0))
        }
        #expect(throws: OptimizerError.self) { _ = try JinPGD(layout: .flat(count: 2), learningRate: -1, saddlePerturbation: Self.rule) }
        #expect(throws: OptimizerError.invalidHyperparameter(name: "delta", value: 1, requirement: "0 < δ < 1")) {
            _ = try SaddleEscapeConstants(smoothness: 1, hessianLipschitz: 1, epsilon: 1, c: 1, delta: 1, functionGap: 1, dimension: 1)
        }
        #expect(throws: OptimizerError.self) {
            _ = try SaddleEscapeConstants(smoothness: 1, hessianLipschitz: 1, epsilon: 0, c: 1, delta: 0.1, functionGap: 1, dimension: 1)
        }
        #expect(throws: OptimizerError.self) {
            _ = try SaddleEscapeConstants(smoothness: 1, hessianLipschitz: 1, epsilon: 1, c: 1, delta: 0.1, functionGap: 1, dimension: 0)
        }
        // A decoded rule is validated like a constructed one.
        let json = Data(#"{"radius": -1, "gradientThreshold": 0, "waitSteps": 0, "seed": 1}"#.utf8)
        #expect(throws: OptimizerError.self) { _ = try JSONDecoder().decode(SaddlePerturbation.self, from: json) }
        var pgd = try JinPGD(layout: .flat(count: 2), learningRate: 0.1, saddlePerturbation: Self.rule)
        var state = pgd.state
        state.update.lastPerturbationStep = -3
        #expect(throws: OptimizerError.stateMismatch(part: "saddlePerturbation.lastPerturbationStep",
                                                     expected: "nil or a step ≥ 0", found: "-3")) { try pgd.restore(state) }
    }
}
