// NormalStreamStatisticsTests: the normal fill on a million draws (Kolmogorov–Smirnov, tail
// frequencies) and the independence of the step noise across positions, steps and seeds.

import Foundation
import Testing
@testable import NoisyOptim

/// Fixed seeds throughout, so each check either always passes or always fails. Tolerances are
/// 5 standard errors of the statistic at the sample size used (a correct generator fails a check
/// with probability below 10⁻⁶), except where a quantile of the exact distribution is named.
@Suite struct NormalStreamStatisticsTests {
    static let millionSize = 1_000_000
    /// One million normals, drawn once and shared (debug builds are slow).
    static let million: [Float] = {
        var generator = Philox4x32(seed: 2_718_281)
        return generator.normalFloats(count: millionSize)
    }()

    /// P(|Z| > t) for Z ~ N(0, 1).
    static func twoSidedTail(_ t: Double) -> Double { Foundation.erfc(t / 2.0.squareRoot()) }

    @Test func kolmogorovSmirnovOnAMillionDraws() {
        let sorted = Self.million.sorted()
        let n = Double(sorted.count)
        var d = 0.0
        for (i, value) in sorted.enumerated() {
            let cdf = 0.5 * Foundation.erfc(-Double(value) / 2.0.squareRoot())
            d = max(d, Double(i + 1) / n - cdf, cdf - Double(i) / n)
        }
        // √n·D is asymptotically Kolmogorov-distributed; P(√n·D > 1.95) ≈ 0.001. At n = 10⁶ this
        // bounds every deviation of the empirical CDF at 0.002.
        #expect(n.squareRoot() * d < 1.95, "KS statistic √n·D = \(n.squareRoot() * d)")
    }

    /// The frequencies of |z| > 3 and |z| > 4 against the normal's; the count beyond 5σ against a
    /// Poisson bound, since its expectation at 10⁶ draws is only 0.57.
    @Test(arguments: [3.0, 4.0])
    func tailFrequency(beyond t: Double) {
        let n = Double(Self.million.count)
        let count = Double(Self.million.reduce(0) { $0 + (abs(Double($1)) > t ? 1 : 0) })
        let p = Self.twoSidedTail(t)
        // Binomial: mean np, SE √(np(1 − p)) (2700 ± 52 at 3σ, 63 ± 8 at 4σ).
        #expect(abs(count - n * p) < 5 * (n * p * (1 - p)).squareRoot(),
                "\(count) draws beyond \(t)σ, expected \(n * p)")
    }

    @Test func tailBeyondFiveSigma() {
        // Four million draws: λ = 4·10⁶ · 5.73·10⁻⁷ ≈ 2.3 expected beyond 5σ. A Poisson(2.3) count is
        // ≥ 1 with probability 0.90 and ≤ 12 with probability 1 − 10⁻⁶; a generator whose tail
        // stopped at 5σ (0) or was 5× too heavy (≈ 11.5) shows outside [1, 12] or near its edge.
        // The draws continue the million's stream, so the sample is 4·10⁶ distinct values.
        var generator = Philox4x32(seed: 2_718_281)
        generator.skip(blocks: NormalStream.countersConsumed(byNormals: Self.millionSize))
        var count = Self.million.reduce(0) { $0 + (abs($1) > 5 ? 1 : 0) }
        for _ in 0..<3 {
            count += generator.normalFloats(count: Self.millionSize).reduce(0) { $0 + (abs($1) > 5 ? 1 : 0) }
        }
        #expect((1...12).contains(count), "\(count) of 4·10⁶ draws beyond 5σ, expected 2.3")
    }

    /// Sample correlation of two equally long N(0, 1) samples; SE 1/√n when they are independent.
    static func correlation(_ a: [Float], _ b: [Float]) -> Double {
        var sum = 0.0
        for i in a.indices { sum += Double(a[i]) * Double(b[i]) }
        return sum / Double(a.count)
    }

    /// The step noise of (seed, step) at positions 0 ..< count, as the optimizers draw it.
    static func stepNoise(seed: UInt64, step: Int, count: Int) -> [Float] {
        var noise = [Float](repeating: 0, count: count)
        noise.withUnsafeMutableBufferPointer {
            RandomStream.addNormal(to: $0.baseAddress!, count: count, standardDeviation: 1,
                                   stepKey: RandomStream.gradientNoise.key(seed: seed, step: step))
        }
        return noise
    }

    static let noiseCount = 100_000

    @Test func stepNoiseIsUncorrelatedAcrossNeighbouringSteps() {
        let steps = (0..<3).map { Self.stepNoise(seed: 5, step: $0, count: Self.noiseCount) }
        let bound = 5 / Double(Self.noiseCount).squareRoot()
        for (a, b) in [(0, 1), (1, 2), (0, 2)] {
            let r = Self.correlation(steps[a], steps[b])
            #expect(abs(r) < bound, "steps \(a), \(b): correlation \(r)")
        }
    }

    @Test func stepNoiseIsUncorrelatedAcrossNeighbouringSeeds() {
        let seeds = (0..<3).map { Self.stepNoise(seed: UInt64(40 + $0), step: 7, count: Self.noiseCount) }
        let bound = 5 / Double(Self.noiseCount).squareRoot()
        for (a, b) in [(0, 1), (1, 2), (0, 2)] {
            let r = Self.correlation(seeds[a], seeds[b])
            #expect(abs(r) < bound, "seeds \(40 + a), \(40 + b): correlation \(r)")
        }
    }

    /// Neighbouring positions within one step's noise, including across the 2048-value blocks
    /// that get their own keys: lags 1 and 4 (neighbouring lanes), 8 (a lane's next output),
    /// 1024 (the same lane of the next chunk) and 2048 (the same offset in the next keyed block).
    @Test(arguments: [1, 4, 8, 1024, 2048])
    func stepNoiseIsUncorrelatedAcrossNeighbouringPositions(lag: Int) {
        let z = Self.stepNoise(seed: 9, step: 3, count: Self.noiseCount + lag)
        let r = Self.correlation(Array(z[0..<Self.noiseCount]), Array(z[lag..<(lag + Self.noiseCount)]))
        #expect(abs(r) < 5 / Double(Self.noiseCount).squareRoot(), "lag \(lag): correlation \(r)")
    }

    /// The squares of neighbours must be uncorrelated too (dependence that leaves the signs random,
    /// such as two lanes sharing a layer, shows only here): corr(z², z'²) has SE √(1/n) after
    /// standardizing z² (mean 1, variance 2). Lags 1, 2, 4 (lanes of a row) and 8 (a lane's next
    /// output).
    @Test(arguments: [1, 2, 4, 8])
    func squaresOfNeighboursAreUncorrelated(lag: Int) {
        let z = Self.million
        let n = z.count - lag
        var sum = 0.0
        for i in 0..<n { sum += (Double(z[i] * z[i]) - 1) * (Double(z[i + lag] * z[i + lag]) - 1) }
        let r = sum / Double(n) / 2
        #expect(abs(r) < 5 / Double(n).squareRoot(), "lag \(lag): correlation of squares \(r)")
    }
}
