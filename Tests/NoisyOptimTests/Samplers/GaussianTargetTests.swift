// The three samplers on a correlated 2-d Gaussian with exact gradients: their samples' mean and
// covariance must match the target's, to a tolerance made of the chain's Monte-Carlo error
// (batch means) plus its discretization bias (computed exactly for the linear chain).

import Foundation
import Testing
@testable import NoisyOptim

/// Target N(μ, Σ), μ = (1, −0.5), Σ = [[1, ρ], [ρ, 1]], ρ = 0.8: U(θ) = ½(θ − μ)ᵀP(θ − μ) with
/// P = Σ⁻¹ = [[1, −ρ], [−ρ, 1]]/(1 − ρ²), eigenvalues 1/(1 + ρ) = 0.556 and 1/(1 − ρ) = 5.
///
/// Each sampler is a linear chain here: sₜ₊₁ = A·sₜ + ξₜ around the fixed point μ (plus v = 0 for
/// SGHMC), so its stationary law is Gaussian with mean μ and the covariance S = A·S·Aᵀ + Q, which
/// `Dense.stationaryCovariance` computes exactly. S − Σ is the O(ε) discretization bias: for SGLD
/// each eigenmode λ of P has variance 1/(λ(1 − ελ/4)) instead of 1/λ. The tolerance on each
/// moment is |S − Σ| + 4·SE, SE from batch means (40 batches, each ≥ 10× the autocorrelation
/// time): a correct sampler fails with probability ≈ 10⁻⁴ per moment, and the seeds are fixed.
@Suite struct GaussianTargetTests {
    static let rho = 0.8
    static let mu = [1.0, -0.5]
    static let sigma = [1, rho, rho, 1]
    static let precision = Dense.inverse(sigma, 2)

    static func gradient(_ theta: Tensor) -> Tensor {
        let x = theta.scalars.map(Double.init)
        let d = [x[0] - mu[0], x[1] - mu[1]]
        let p = precision
        return Tensor([Float(p[0] * d[0] + p[1] * d[1]), Float(p[2] * d[0] + p[3] * d[1])])
    }

    /// Runs `steps` steps from μ, drops `burnIn`, and checks mean and covariance. `stationary` is
    /// the exact stationary covariance of the discretized chain (2 × 2, row-major).
    func expectSamplesMatchTarget<O: Optimizer>(_ optimizer: inout O, steps: Int, burnIn: Int,
                                                stationary: (O) -> [Double], _ name: String) throws
        -> [BatchMeans] {
        var theta = Tensor(Self.mu.map(Float.init))
        var series = [[Double]](repeating: [], count: 5)
        for s in series.indices { series[s].reserveCapacity(steps) }
        for t in 0..<(burnIn + steps) {
            try optimizer.step(&theta, gradient: Self.gradient(theta))
            guard t >= burnIn else { continue }
            let dx = Double(theta.scalars[0]) - Self.mu[0], dy = Double(theta.scalars[1]) - Self.mu[1]
            series[0].append(dx); series[1].append(dy)
            series[2].append(dx * dx); series[3].append(dy * dy); series[4].append(dx * dy)
        }
        let summaries = series.map { BatchMeans($0) }
        let s = stationary(optimizer)
        // Means (μ is the chain's fixed point: no bias), then Σxx, Σyy, Σxy.
        for (k, target, chain) in [(0, 0.0, 0.0), (1, 0.0, 0.0), (2, Self.sigma[0], s[0]), (3, Self.sigma[3], s[3]),
                                   (4, Self.sigma[1], s[1])] {
            let bias = abs(chain - target), tolerance = bias + 4 * summaries[k].standardError
            #expect(abs(summaries[k].mean - target) <= tolerance,
                    "\(name), moment \(k): \(summaries[k].mean) vs \(target) ± \(tolerance) (bias \(bias), ESS \(summaries[k].effectiveSampleSize))")
            // The batches must be much longer than τ for the SE to mean anything.
            #expect(summaries[k].autocorrelationTime * 10 < Double(steps / 40), "\(name): τ̂ = \(summaries[k].autocorrelationTime)")
            // ε is small: the discretization bias stays below 3% of the target's unit variances.
            #expect(bias < 0.03, "\(name), moment \(k): bias \(bias)")
        }
        return summaries
    }

    @Test func sgldSamplesTheTarget() throws {
        // ε = 0.04: ελ_max/4 = 5% on the fast mode, 1% on the marginal variances.
        let epsilon = 0.04
        var sgld = try SGLD(layout: .flat(count: 2), stepSize: epsilon, seed: 11)
        let summaries = try expectSamplesMatchTarget(&sgld, steps: 80_000, burnIn: 1_000, stationary: { _ in
            let a = zip([1.0, 0, 0, 1], Self.precision).map { $0 - epsilon / 2 * $1 }
            return Dense.stationaryCovariance(transition: a, noise: [epsilon, 0, 0, epsilon], 2)
        }, "SGLD")
        // The AR(1) structure predicts τ: mode λ has φ = 1 − ελ/2 and τ = (1 + φ)/(1 − φ); x puts
        // variance (1 + ρ)/2 on the slow mode (λ = 1/(1 + ρ)) and (1 − ρ)/2 on the fast one, so
        // τ_x = 0.9·τ(0.556) + 0.1·τ(5) ≈ 162. Batch means must agree to within its own error
        // (±11%) and its small-batch bias (≈ −τ/batch = −7%).
        func tau(_ lambda: Double) -> Double { let phi = 1 - epsilon * lambda / 2; return (1 + phi) / (1 - phi) }
        let predicted = (1 + Self.rho) / 2 * tau(1 / (1 + Self.rho)) + (1 - Self.rho) / 2 * tau(1 / (1 - Self.rho))
        #expect(summaries[0].autocorrelationTime > 0.6 * predicted && summaries[0].autocorrelationTime < 1.5 * predicted,
                "τ̂ = \(summaries[0].autocorrelationTime), AR(1) predicts \(predicted)")
    }

    @Test func preconditionedSGLDSamplesTheTarget() throws {
        // E[g⊙g] = diag(PΣP) = diag(P) = 2.78 at stationarity, so G ≈ 1/√2.78 = 0.6 and ε = 0.066
        // moves like SGLD's 0.04. V is warmed up to that value: from V = 0 the first steps would have
        // G = 1/λ = 10⁵. α = 0.999, not the paper's 0.99: at 0.99, V averages over ~100 steps, about
        // this chain's autocorrelation time, so G would follow θ and the dropped Γ term would bias the
        // samples; at 0.999, G varies by ~10% over thousands of steps. The bias below is that of the
        // linear chain with G frozen at its final value.
        let epsilon = 0.066
        var psgld = try PreconditionedSGLD(layout: .flat(count: 2), stepSize: epsilon, alpha: 0.999, seed: 12)
        var warm = psgld.state
        warm.rule.second.squareAverage = Tensor([2.78, 2.78])
        try psgld.restore(warm)
        let summaries = try expectSamplesMatchTarget(&psgld, steps: 80_000, burnIn: 1_000, stationary: { psgld in
            let v = psgld.state.rule.second.squareAverage.scalars.map(Double.init)
            let g = v.map { 1 / (1e-5 + $0.squareRoot()) }
            var a = [1.0, 0, 0, 1]
            for i in 0..<2 { for j in 0..<2 { a[i * 2 + j] -= epsilon / 2 * g[i] * Self.precision[i * 2 + j] } }
            return Dense.stationaryCovariance(transition: a, noise: [epsilon * g[0], 0, 0, epsilon * g[1]], 2)
        }, "pSGLD")
        #expect(summaries.count == 5)
    }

    @Test func sghmcSamplesTheTarget() throws {
        // η = h², α = hC with h = 0.2, C = 1 (underdamped, mass 1). State (θ, v):
        // v' = (1 − α)v − ηPθ + ξ, θ' = θ + v', ξ ~ N(0, 2αη), so A = [[I − ηP, (1 − α)I], [−ηP, (1 − α)I]]
        // and Q = 2αη·[[I, I], [I, I]] (the same ξ enters θ through v').
        let eta = 0.04, alpha = 0.2
        var sghmc = try SGHMC(layout: .flat(count: 2), learningRate: eta, friction: alpha, seed: 13)
        _ = try expectSamplesMatchTarget(&sghmc, steps: 60_000, burnIn: 1_000, stationary: { _ in
            let p = Self.precision, k = 1 - alpha
            let a: [Double] = [1 - eta * p[0], -eta * p[1], k, 0,
                               -eta * p[2], 1 - eta * p[3], 0, k,
                               -eta * p[0], -eta * p[1], k, 0,
                               -eta * p[2], -eta * p[3], 0, k]
            let n = 2 * alpha * eta
            let q: [Double] = [n, 0, n, 0, 0, n, 0, n, n, 0, n, 0, 0, n, 0, n]
            let s = Dense.stationaryCovariance(transition: a, noise: q, 4)
            return [s[0], s[1], s[4], s[5]]
        }, "SGHMC")
    }
}
