// SGLD on Bayesian linear regression with a Gaussian prior, on the bundled diabetes data: its
// posterior mean and marginal variances against the closed-form posterior.

import Foundation
import Testing
@testable import NoisyOptim

/// yᵢ = xᵢᵀθ + N(0, σ²), θ ~ N(0, τ²I), σ² = 0.5 (about the residual variance of the least-squares
/// fit, 0.51, on the standardized target), τ² = 1. The posterior is N(m, C) with
///
///     C = (XᵀX/σ² + I/τ²)⁻¹,   m = C·Xᵀy/σ².
///
/// Features: age, sex, bmi, bp, s5, s6 standardized as in `LeastSquares.diabetes`, plus the
/// intercept; the target standardized too. The serum measurements s1–s4 are left out: they are
/// nearly collinear (the full design's posterior has condition number 415), which would make SGLD
/// need ~10⁶ steps to mix; this design's is 4.9.
///
/// Full batch, not mini-batches: the gradient is then exact, and the samples' law is the linear
/// chain θ ← (I − (ε/2)P)θ + (ε/2)Pm + N(0, εI), P = C⁻¹, whose stationary covariance
/// S = (P − εP²/4)⁻¹ is known exactly — the tolerance can hold the whole discretization bias and
/// nothing unaccounted. A mini-batch gradient adds a bias of order ε·(N²/n)·Cov[∇ℓ] with no closed
/// form here. Ũ is built with `posteriorPotential` (N·Σᵢ Wᵢℓᵢ, Wᵢ = 1/N), the prior as weight decay 1/τ².
@Suite struct BayesianRegressionTests {
    @Test func sgldMatchesTheClosedFormPosterior() throws {
        let data = try LeastSquares.diabetes()
        let keep = [0, 1, 2, 3, 8, 9, 10], d = keep.count, n = data.rows
        let yMean = data.targets.reduce(0, +) / Double(n)
        let ySD = (data.targets.reduce(0) { $0 + ($1 - yMean) * ($1 - yMean) } / Double(n)).squareRoot()
        let y = data.targets.map { ($0 - yMean) / ySD }
        let x = (0..<n).flatMap { i in keep.map { data.features[i * data.columns + $0] } }
        let sigma2 = 0.5, tau2 = 1.0

        // Gram matrix and moments in Double.
        var gram = [Double](repeating: 0, count: d * d), xty = [Double](repeating: 0, count: d)
        for i in 0..<n {
            for j in 0..<d {
                xty[j] += x[i * d + j] * y[i]
                for k in 0..<d { gram[j * d + k] += x[i * d + j] * x[i * d + k] }
            }
        }
        var precision = gram.map { $0 / sigma2 }
        for j in 0..<d { precision[j * d + j] += 1 / tau2 }
        let covariance = Dense.inverse(precision, d)
        let mean = (0..<d).map { j in (0..<d).reduce(0.0) { $0 + covariance[j * d + $1] * xty[$1] / sigma2 } }

        // The likelihood's objective, Σᵢ Wᵢ(yᵢ − xᵢᵀθ)²/(2σ²), through XᵀX/N: exact for the full batch,
        // and 7 × 7 work per step instead of 442 × 7 (the run is 50k steps in a debug build).
        let yy = y.reduce(0) { $0 + $1 * $1 }
        let nll: Objective = { point, weights in
            check(weights.indices.count == n && weights.weights[0] == 1 / Float(n), "full batch only")
            let theta = point.scalars.map(Double.init)
            var gradient = [Float](repeating: 0, count: d), loss = yy / 2
            for j in 0..<d {
                var h = 0.0
                for k in 0..<d { h += gram[j * d + k] * theta[k] }
                gradient[j] = Float((h - xty[j]) / (sigma2 * Double(n)))
                loss += 0.5 * theta[j] * h - xty[j] * theta[j]
            }
            return (Float(loss / (sigma2 * Double(n))), Tensor(gradient))
        }
        let potential = posteriorPotential(exampleCount: n, negativeLogLikelihood: nll)

        // ε·λ_max(P) = 0.2: the fastest mode's variance is 5% high, the slowest's 1%; the slowest
        // mode's autocorrelation time is 4/(ε·λ_min) ≈ 100 steps, so 50k steps give ESS ≈ 500.
        let (smallest, largest) = LeastSquares.extremeEigenvalues(precision, n: d)
        #expect(largest / smallest < 6)
        let epsilon = 0.2 / largest
        var sgld = try SGLD(layout: .flat(count: d), stepSize: epsilon, weightDecay: 1 / tau2, seed: 21)
            .withSampling(FullBatch(exampleCount: n), seed: 22)
        let burnIn = 2_000, steps = 50_000
        var average = try PosteriorAverage(count: d, burnIn: burnIn)
        var theta = Tensor.zeros([d])
        var centred = [[Double]](repeating: [], count: d), squares = centred
        for _ in 0..<(burnIn + steps) {
            try sgld.step(&theta, objective: potential)
            guard average.record(step: sgld.stepCount, parameters: theta) else { continue }
            for j in 0..<d {
                let e = Double(theta.scalars[j]) - mean[j]
                centred[j].append(e)
                squares[j].append(e * e)
            }
        }
        #expect(average.sampleCount == steps)

        // The chain's exact stationary covariance (the O(ε) bias is S − C).
        var transition = precision.map { -epsilon / 2 * $0 }
        for j in 0..<d { transition[j * d + j] += 1 }
        var noise = [Double](repeating: 0, count: d * d)
        for j in 0..<d { noise[j * d + j] = epsilon }
        let stationary = Dense.stationaryCovariance(transition: transition, noise: noise, d)

        // Tolerances: 4 batch-means SEs for the mean (no bias: m is the chain's fixed point), and
        // |S − C| + 4 SEs for each marginal variance; the mean must also be resolved to 20% of the
        // posterior SD (so the check is not vacuous) and the bias stay below 6%.
        for j in 0..<d {
            let meanError = BatchMeans(centred[j]), varianceError = BatchMeans(squares[j])
            let sd = covariance[j * d + j].squareRoot()
            #expect(abs(average.mean[j] - mean[j]) <= 4 * meanError.standardError,
                    "θ\(j) mean \(average.mean[j]) vs \(mean[j]) ± \(4 * meanError.standardError)")
            #expect(4 * meanError.standardError < 0.2 * sd, "θ\(j): SE \(meanError.standardError) vs SD \(sd)")
            let bias = stationary[j * d + j] - covariance[j * d + j]
            #expect(abs(bias) < 0.06 * covariance[j * d + j], "θ\(j): bias \(bias)")
            #expect(abs(average.variance[j] - covariance[j * d + j]) <= abs(bias) + 4 * varianceError.standardError,
                    "θ\(j) variance \(average.variance[j]) vs \(covariance[j * d + j]) (chain \(stationary[j * d + j])) ± \(abs(bias) + 4 * varianceError.standardError)")
        }
    }
}
