import Foundation
import Testing
@testable import NoisyOptim

@Suite struct PerturbedGDTests {
    static var layout: ParameterLayout {
        var layout = ParameterLayout()
        layout.append("w1", shape: [30, 100], role: .weight)
        layout.append("b1", shape: [30], role: .bias)
        layout.append("w2", shape: [1, 30], role: .weight)
        return layout
    }

    @Test func sigmaZeroIsGradientDescentBitForBit() throws {
        let q = Quadratic.conditioned(100)
        let pgd = try PerturbedGD(layout: .flat(count: q.dimension), learningRate: .constant(1 / q.largest),
                                  perturbation: Perturbation(sigma: 0, mode: .everyParameter, seed: 1))
        let gd = try SGD(layout: .flat(count: q.dimension), learningRate: .constant(1 / q.largest))
        try expectSameTrajectory(pgd, gd, objective: q.objective, count: q.dimension, steps: 50)
    }

    @Test func allAtOncePerturbsEveryParameterWithVarianceSigmaSquared() throws {
        // 3,030 draws of N(0, σ²): relative standard deviation of the sample variance √(2/3030) ≈ 2.6%; allow 13%.
        let layout = Self.layout, sigma = 0.1
        var pgd = try PerturbedGD(layout: layout, learningRate: 0.1,
                                  perturbation: Perturbation(sigma: .constant(sigma), mode: .everyParameter, seed: 4))
        let theta = Tensor(shape: [layout.count], repeating: 1)
        let xi = (pgd.perturbedPoint(theta) - theta).scalars.map(Double.init)
        #expect(xi.allSatisfy { $0 != 0 })
        let variance = xi.reduce(0) { $0 + $1 * $1 } / Double(xi.count)
        expectClose(variance, sigma * sigma, relativeTolerance: 5 * (2.0 / Double(xi.count)).squareRoot())
        // The point is the same until a step is taken, and θ is not touched.
        #expect(pgd.perturbedPoint(theta) == theta + Tensor(xi.map(Float.init)))
        #expect(theta == Tensor(shape: [layout.count], repeating: 1))
    }

    @Test func layerWisePerturbsOneSegmentPerStepCyclically() throws {
        let layout = Self.layout
        var pgd = try PerturbedGD(layout: layout, learningRate: 0.1,
                                  perturbation: Perturbation(sigma: 0.1, mode: .layerWise, seed: 4))
        var theta = Tensor.zeros([layout.count])
        for t in 0..<6 {
            let xi = pgd.perturbedPoint(theta) - theta
            let segment = layout.segments[t % 3]
            for other in layout.segments {
                let touched = xi.slice(other).scalars.contains { $0 != 0 }
                #expect(touched == (other == segment), "step \(t), segment \(other.name)")
            }
            try pgd.step(&theta, gradient: .zeros([layout.count]))
        }
    }

    @Test func antiPGDIsPerturbedGDSeenFromThePerturbedPoint() throws {
        // With zₜ = θₜ − ξₜ, Anti-PGD's θₜ₊₁ = θₜ − lr∇L(θₜ) + ξₜ₊₁ − ξₜ is zₜ₊₁ = zₜ − lr∇L(zₜ + ξₜ):
        // the iterate of perturbed GD from the same start and seed. Equal up to Float rounding of
        // the different summation orders (|x| ≤ 2, 100 steps: allow 10⁻⁵).
        let q = Quadratic.conditioned(10, dimension: 20)
        let lr = Schedule.constant(0.5 / q.largest)
        var pgd = try PerturbedGD(layout: .flat(count: 20), learningRate: lr,
                                  perturbation: Perturbation(sigma: 0.05, mode: .everyParameter, seed: 9))
        var anti = try PerturbedGD(layout: .flat(count: 20), learningRate: lr,
                                   perturbation: Perturbation(sigma: 0.05, mode: .everyParameter, antiCorrelated: true, seed: 9))
        var z = Tensor.zeros([20])
        // Anti-PGD starts at the perturbed point of the shared start: θ₀ = z₀ + ξ₀.
        var theta = pgd.perturbedPoint(z)
        for _ in 0..<100 {
            try pgd.step(&z, objective: q.objective)
            try anti.step(&theta, objective: q.objective)
        }
        let xi = pgd.perturbedPoint(z) - z // ξ₁₀₀
        expectClose((theta - xi).scalars, z.scalars, absoluteTolerance: 1e-5)
    }

    @Test func stationaryVarianceOfPerturbedGD() throws {
        // x ← x − lr·A(x + ξ) with A = diag(λ), b = 0: per coordinate an AR(1) process with noise
        // lr·λ·σ·z, stationary variance lr·λ·σ²/(2 − lr·λ). λ = 2, lr = 0.1, σ = 0.5: 0.0278.
        // 50 coordinates × 4,000 steps, effective samples ≈ 50·4000·(lrλ/(2 − lrλ)) ≈ 21,000:
        // relative standard deviation ≈ 1%; allow 8%.
        let n = 50, lambda: Float = 2
        var pgd = try PerturbedGD(layout: .flat(count: n), learningRate: 0.1,
                                  perturbation: Perturbation(sigma: 0.5, mode: .everyParameter, seed: 31))
        var x = Tensor.zeros([n]), sum = 0.0
        for t in 0..<4_200 {
            try pgd.step(&x) { point, _ in (0, point * lambda) }
            if t >= 200 { sum += x.scalars.reduce(0.0) { $0 + Double($1) * Double($1) } }
        }
        let measured = sum / Double(n * 4_000), theory = 0.1 * 2 * 0.25 / (2 - 0.2)
        expectClose(measured, theory, relativeTolerance: 0.08)
    }

    @Test func rejectsNegativeSigma() {
        #expect(throws: OptimizerError.invalidHyperparameter(name: "sigma", value: -1, requirement: "0 or a normal Float32 from 1.1754944e-38 to 2.0282408e+31")) {
            _ = try PerturbedGD(layout: .flat(count: 3), learningRate: 0.1,
                                perturbation: Perturbation(sigma: -1, mode: .everyParameter, seed: 0))
        }
    }
}
