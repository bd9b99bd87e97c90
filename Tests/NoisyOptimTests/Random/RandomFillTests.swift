// RandomFillTests: the SIMD fills against a scalar twin, their position determinism (tails,
// consecutive fills, thread counts), the accuracy of ln and sin/cos, and the distributions.

import Foundation
import Testing
@testable import NoisyOptim

// MARK: - Naive twins

/// The 32-bit word at position i of the stream that starts at (key, counter): word i mod 4 of the
/// block counter + ⌊i / 4⌋, straight from the scalar bijection.
private func referenceWord(_ i: Int, key: SIMD2<UInt32>, counter: SIMD4<UInt32>) -> UInt32 {
    Philox4x32.block(counter: Philox4x32.counter(counter, plus: UInt64(i / 4)), key: key)[i % 4]
}

private func referenceUniforms(count: Int, key: SIMD2<UInt32>, counter: SIMD4<UInt32>) -> [Float] {
    (0..<count).map { Float((referenceWord($0, key: key, counter: counter) >> 8) + 1) * 0x1p-24 }
}

/// Box–Muller in Double with Foundation's log, cos and sin: positions 4b, 4b+1 use words 0 (radius)
/// and 1 (angle) of block b, positions 4b+2, 4b+3 words 2 and 3.
private func referenceNormals(count: Int, key: SIMD2<UInt32>, counter: SIMD4<UInt32>) -> [Double] {
    (0..<count).map { i in
        let pairStart = i - i % 2
        let u = Double((referenceWord(pairStart, key: key, counter: counter) >> 8) + 1) * 0x1p-24
        let theta = 2 * Double.pi * Double(referenceWord(pairStart + 1, key: key, counter: counter) >> 8) * 0x1p-24
        let r = (-2 * Foundation.log(u)).squareRoot()
        return i % 2 == 0 ? r * Foundation.cos(theta) : r * Foundation.sin(theta)
    }
}

/// The first index where two arrays differ (or the shorter count), nil if they are equal: keeps a
/// failure message short when the arrays hold 10⁵ values.
private func firstDifference(_ a: [Float], _ b: [Float]) -> Int? {
    if let i = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset { return i }
    return a.count == b.count ? nil : min(a.count, b.count)
}

/// The distance from `actual` to `expected` in units of Float's ULP at `expected`.
private func ulps(_ actual: Float, _ expected: Double) -> Double {
    abs(Double(actual) - expected) / Double(Float(expected).ulp)
}

// MARK: - Fills against the twins, and position determinism

@Suite struct RandomFillTests {
    static let awkwardSizes = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1023]

    @Test(arguments: awkwardSizes)
    func uniformFillMatchesScalarTwin(count: Int) {
        let key = SIMD2<UInt32>(0x1234_5678, 0x9ABC_DEF0)
        let start = SIMD4<UInt32>(0xFFFF_FFF0, 0xFFFF_FFFF, 2, 0) // the word-0 carry happens inside
        var generator = Philox4x32(key: key, counter: start)
        #expect(firstDifference(generator.uniformFloats(count: count),
                                referenceUniforms(count: count, key: key, counter: start)) == nil)
        #expect(generator.counter == Philox4x32.counter(start, plus: UInt64((count + 3) / 4)),
                "a fill of \(count) consumes ⌈count/4⌉ blocks")
    }

    /// Tolerance: ln and sin/cos are within 1.2 and 1.8 ULP (tests below), √ and the final product
    /// round once each, so |z − z_ref| ≤ about 4 ULP of |z|; 6·10⁻⁷ relative is 5 ULP at the top of
    /// a binade (2⁻²³ ≈ 1.19·10⁻⁷ per ULP). z = 0 exactly only when u = 1, where r = 0 on both sides.
    @Test(arguments: awkwardSizes)
    func normalFillMatchesScalarTwin(count: Int) {
        let key = SIMD2<UInt32>(0xA409_3822, 0x299F_31D0)
        let start = SIMD4<UInt32>(0xFFFF_FFF9, 0, 0, 0)
        var generator = Philox4x32(key: key, counter: start)
        let actual = generator.normalFloats(count: count)
        let expected = referenceNormals(count: count, key: key, counter: start)
        for i in 0..<count {
            #expect(abs(Double(actual[i]) - expected[i]) <= 6e-7 * abs(expected[i]) + 1e-30,
                    "position \(i): \(actual[i]) vs \(expected[i])")
        }
    }

    /// A short fill is the prefix of a long one: the tail code computes whole steps and writes
    /// only the positions that exist.
    @Test(arguments: awkwardSizes)
    func shortFillIsPrefixOfLongFill(count: Int) {
        var long = Philox4x32(seed: 77)
        var short = Philox4x32(seed: 77)
        let longNormals = long.normalFloats(count: 2048)
        #expect(firstDifference(short.normalFloats(count: count), Array(longNormals.prefix(count))) == nil)
        var longUniform = Philox4x32(seed: 78)
        var shortUniform = Philox4x32(seed: 78)
        let longUniforms = longUniform.uniformFloats(count: 2048)
        #expect(firstDifference(shortUniform.uniformFloats(count: count), Array(longUniforms.prefix(count))) == nil)
    }

    /// Position i depends only on (key, starting counter, i): a fill of n then one of m continues at
    /// block ⌈n/4⌉, so it equals the long fill's values from position 4⌈n/4⌉ on (the unused words
    /// of a partial block are skipped, never reused).
    @Test(arguments: [(0, 5), (4, 9), (5, 7), (16, 33), (17, 1), (63, 65)])
    func consecutiveFillsContinueTheStream(first: Int, second: Int) {
        var generator = Philox4x32(seed: 2718)
        let a = generator.normalFloats(count: first)
        let b = generator.normalFloats(count: second)
        var reference = Philox4x32(seed: 2718)
        let all = reference.normalFloats(count: 4 * ((first + 3) / 4) + second)
        #expect(firstDifference(a, Array(all.prefix(first))) == nil)
        #expect(firstDifference(b, Array(all.suffix(second))) == nil)
    }

    @Test func sameSeedSameValuesOtherSeedOtherValues() {
        var a = Philox4x32(seed: 1)
        var b = Philox4x32(seed: 1)
        var c = Philox4x32(seed: 2)
        let values = a.normalFloats(count: 100)
        #expect(values == b.normalFloats(count: 100))
        #expect(values != c.normalFloats(count: 100))
    }

    /// A fill after an odd number of `next()` calls starts on a fresh block, and the buffered half
    /// is gone.
    @Test func fillDropsTheBufferedHalf() {
        var generator = Philox4x32(seed: 31)
        _ = generator.next()
        let afterNext = generator.uniformFloats(count: 4)
        var fresh = Philox4x32(seed: 31)
        fresh.skip(blocks: 1)
        #expect(afterNext == fresh.uniformFloats(count: 4))
        #expect(generator == fresh)
    }

    @Test func meanAndStandardDeviationAreApplied() {
        var standard = Philox4x32(seed: 404)
        var shifted = Philox4x32(seed: 404)
        let z = standard.normalFloats(count: 1001)
        let x = shifted.normalFloats(count: 1001, mean: -3, standardDeviation: 0.25)
        // The kernel computes mean + σ·z with one rounding per operation, as this line does.
        #expect(firstDifference(x, z.map { -3 + 0.25 * $0 }) == nil)
    }

    @Test(arguments: [0, 1, 6, 17, 1023])
    func addNormalAddsTheFillNormalValues(count: Int) {
        var data = TestGenerator(seed: 5)
        let original = data.floats(count)
        var buffer = original
        var adding = Philox4x32(seed: 606)
        buffer.withUnsafeMutableBufferPointer { adding.addNormal(to: $0, standardDeviation: 0.1) }
        var filling = Philox4x32(seed: 606)
        let z = filling.normalFloats(count: count)
        #expect(firstDifference(buffer, zip(original, z).map { $0 + 0.1 * $1 }) == nil)
        #expect(adding == filling, "both consumed ⌈count/4⌉ blocks")
    }

    // MARK: - Accuracy of the elementary functions

    /// −2 ln u on u = k·2⁻²⁴ for k = 1 … 4096 (where ln is steep), every 241st k after that and
    /// the last 4096 (u near 1, where ln u is small and relative accuracy is hardest), against
    /// Foundation's Double `log`. Tolerance 1.5 ULP of the result; the exhaustive check over all 2²⁴
    /// inputs made while fitting the polynomial gave 1.16 ULP.
    @Test func minusTwoLogIsWithinOneAndAHalfULP() {
        var ks = Array(1...4096)
        ks += stride(from: 4097, to: (1 << 24) - 4096, by: 241)
        ks += ((1 << 24) - 4096)...(1 << 24)
        var worst = 0.0
        var worstK = 0
        for start in stride(from: 0, to: ks.count, by: 4) {
            var u = PhiloxFloats()
            for lane in 0..<4 { u[lane] = Float(ks[min(start + lane, ks.count - 1)]) * 0x1p-24 }
            let result = minusTwoLog(u)
            for lane in 0..<4 {
                let k = ks[min(start + lane, ks.count - 1)]
                let expected = -2 * Foundation.log(Double(k) * 0x1p-24)
                if expected == 0 {
                    #expect(result[lane] == 0)
                    continue
                }
                let error = ulps(result[lane], expected)
                if error > worst { worst = error; worstK = k }
            }
        }
        #expect(worst <= 1.5, "worst \(worst) ULP at u = \(worstK)·2⁻²⁴")
    }

    /// sin and cos of 2π·a·2⁻²⁴ on a grid of a covering all four quadrants (every 97th a, plus the
    /// neighbourhoods of the quadrant boundaries), against Foundation's Double sin/cos. Tolerance:
    /// 2 ULP of the result, plus 10⁻¹⁵ absolute because the Double reference itself is off by about
    /// 10⁻¹⁶ where the exact value is 0 (2π·a·2⁻²⁴ is rounded before sin sees it). The exhaustive
    /// check made while fitting gave 1.74 ULP (sin) and 1.75 ULP (cos).
    @Test func sinCosTurnsIsWithinTwoULP() {
        var angles = Array(stride(from: 0, to: 1 << 24, by: 97))
        for boundary in stride(from: 0, through: 1 << 24, by: 1 << 21) {
            angles += max(0, boundary - 64)..<min(1 << 24, boundary + 64)
        }
        var worstSine = 0.0
        var worstCosine = 0.0
        for start in stride(from: 0, to: angles.count, by: 4) {
            var a = PhiloxLanes()
            for lane in 0..<4 { a[lane] = UInt32(angles[min(start + lane, angles.count - 1)]) }
            let (sine, cosine) = sinCosTurns(a)
            for lane in 0..<4 {
                let theta = 2 * Double.pi * Double(a[lane]) * 0x1p-24
                let sineError = abs(Double(sine[lane]) - Foundation.sin(theta))
                let cosineError = abs(Double(cosine[lane]) - Foundation.cos(theta))
                worstSine = max(worstSine, (sineError - 1e-15) / Double(Float(Foundation.sin(theta)).ulp))
                worstCosine = max(worstCosine, (cosineError - 1e-15) / Double(Float(Foundation.cos(theta)).ulp))
            }
        }
        #expect(worstSine <= 2, "sin: worst \(worstSine) ULP")
        #expect(worstCosine <= 2, "cos: worst \(worstCosine) ULP")
    }

    /// The extreme words map to the ends of (0, 1]: 0 → 2⁻²⁴, 2³² − 1 → 1; so the largest radius
    /// is √(48 ln 2) and the smallest 0.
    @Test func uniformMappingEndpoints() {
        // The first four lanes (a build's vectors have 4, 8 or 16).
        var words = PhiloxLanes(repeating: 0)
        for (lane, word) in [UInt32(0), 255, 256, 0xFFFF_FFFF].enumerated() { words[lane] = word }
        let u = unitInterval(words)
        #expect(SIMD4(u[0], u[1], u[2], u[3]) == SIMD4<Float>(0x1p-24, 0x1p-24, 0x1p-23, 1))
        let r = nonNegativeSquareRoot(minusTwoLog(u))
        expectClose(r[0], Float((48 * Foundation.log(2.0)).squareRoot()), relativeTolerance: 2e-7,
                    "√(−2 ln 2⁻²⁴), within 1.5 ULP")
        #expect(r[3] == 0)
    }
}

// MARK: - Thread count

/// Changes the process-wide `Parallelism.maximumThreadCount`, so it runs serialized and restores it.
@Suite(.serialized) struct RandomFillThreadingTests {
    /// Large enough that `Parallel.forEachChunk` really uses two chunks (split at an odd number of
    /// steps, so also inside the two-step loop): the check on `chunks` below guards against the
    /// threshold growing past the test size.
    static let count = 2 * Philox4x32.minimumFloatsPerThread + 37

    @Test func valuesDoNotDependOnThreadCount() {
        let steps = (Self.count + Philox4x32.floatsPerStep - 1) / Philox4x32.floatsPerStep
        let chunks = steps / (Philox4x32.minimumFloatsPerThread / Philox4x32.floatsPerStep)
        #expect(chunks >= 2, "the test size must be above the threading threshold")

        let saved = Parallelism.maximumThreadCount
        defer { Parallelism.maximumThreadCount = saved }
        var results: [[Float]] = []
        var noisy: [[Float]] = []
        var states: [Philox4x32] = []
        for threads in [1, 2] {
            Parallelism.maximumThreadCount = threads
            var generator = Philox4x32(key: SIMD2(3, 4), counter: SIMD4(0xFFFF_0000, 0, 0, 0))
            results.append(generator.normalFloats(count: Self.count) + generator.uniformFloats(count: Self.count))
            var buffer = [Float](repeating: 1, count: Self.count)
            buffer.withUnsafeMutableBufferPointer { generator.addNormal(to: $0, standardDeviation: 2) }
            noisy.append(buffer)
            states.append(generator)
        }
        #expect(firstDifference(results[0], results[1]) == nil, "1 vs 2 threads")
        #expect(firstDifference(noisy[0], noisy[1]) == nil, "addNormal, 1 vs 2 threads")
        #expect(states[0] == states[1])
    }
}

// MARK: - Distributions

/// Statistical checks with fixed seeds. Each tolerance is 5 standard errors of the statistic at the
/// sample size used (so a correct generator fails with probability below 10⁻⁶ per check, and being
/// seeded it either always passes or always fails).
@Suite struct RandomDistributionTests {
    static let sampleSize = 200_000
    /// One sample of each kind, generated once and shared by the checks (debug builds are slow).
    static let uniforms: [Float] = {
        var generator = Philox4x32(seed: 12_345)
        return generator.uniformFloats(count: sampleSize)
    }()
    static let normals: [Float] = {
        var generator = Philox4x32(seed: 777)
        return generator.normalFloats(count: sampleSize)
    }()

    @Test func uniformMomentsAndRange() {
        let u = Self.uniforms.map(Double.init)
        #expect(u.allSatisfy { $0 > 0 && $0 <= 1 })
        let n = Double(u.count)
        let mean = u.reduce(0, +) / n
        let variance = u.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        // U(0,1]: mean ½ (SE √(1/12n)), variance 1/12 (SE √((1/80 − 1/144)/n)).
        expectClose(mean, 0.5, absoluteTolerance: 5 * (1 / (12 * n)).squareRoot())
        expectClose(variance, 1.0 / 12, absoluteTolerance: 5 * ((1.0 / 80 - 1.0 / 144) / n).squareRoot())
    }

    @Test func uniformChiSquareAndKolmogorovSmirnov() {
        let u = Self.uniforms
        let bins = 100
        var counts = [Int](repeating: 0, count: bins)
        for value in u { counts[min(bins - 1, Int((value * Float(bins)).rounded(.up)) - 1)] += 1 }
        let expected = Double(u.count) / Double(bins)
        let chiSquare = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        // 99 degrees of freedom: mean 99, SD √198 ≈ 14.1.
        #expect(abs(chiSquare - 99) < 5 * 198.0.squareRoot(), "chi-square \(chiSquare)")

        let sorted = u.sorted()
        let n = Double(sorted.count)
        var d = 0.0
        for (i, value) in sorted.enumerated() {
            d = max(d, abs(Double(i + 1) / n - Double(value)), abs(Double(value) - Double(i) / n))
        }
        // Kolmogorov–Smirnov: √n·D exceeds 1.95 with probability 0.001.
        #expect(n.squareRoot() * d < 1.95, "KS statistic √n·D = \(n.squareRoot() * d)")
    }

    @Test func normalMomentsAndFiniteness() {
        let z = Self.normals
        #expect(z.allSatisfy { $0.isFinite })
        #expect(z.allSatisfy { abs($0) <= 5.78 }, "Box–Muller on 24-bit u cannot exceed √(48 ln 2) ≈ 5.77")
        let n = Double(z.count)
        let mean = z.reduce(0.0) { $0 + Double($1) } / n
        var m2 = 0.0, m3 = 0.0, m4 = 0.0
        for value in z {
            let d = Double(value) - mean
            m2 += d * d; m3 += d * d * d; m4 += d * d * d * d
        }
        m2 /= n; m3 /= n; m4 /= n
        let skewness = m3 / pow(m2, 1.5)
        let excessKurtosis = m4 / (m2 * m2) - 3
        // N(0,1): SEs of mean, variance, skewness, excess kurtosis are √(1/n), √(2/n), √(6/n), √(24/n).
        expectClose(mean, 0, absoluteTolerance: 5 * (1 / n).squareRoot())
        expectClose(m2, 1, absoluteTolerance: 5 * (2 / n).squareRoot())
        expectClose(skewness, 0, absoluteTolerance: 5 * (6 / n).squareRoot())
        expectClose(excessKurtosis, 0, absoluteTolerance: 5 * (24 / n).squareRoot())
    }

    @Test func normalKolmogorovSmirnov() {
        let sorted = Self.normals.sorted()
        let n = Double(sorted.count)
        var d = 0.0
        for (i, value) in sorted.enumerated() {
            let cdf = 0.5 * Foundation.erfc(-Double(value) / 2.0.squareRoot())
            d = max(d, abs(Double(i + 1) / n - cdf), abs(cdf - Double(i) / n))
        }
        #expect(n.squareRoot() * d < 1.95, "KS statistic √n·D = \(n.squareRoot() * d)")
    }

    /// Neighbours must be uncorrelated: lag 1 (the cos and sin of one pair), lag 2 (two pairs of a
    /// block), lag 4 (consecutive blocks) and lag 16 (consecutive SIMD steps). Each sample
    /// correlation has SE 1/√n under independence.
    @Test(arguments: [1, 2, 3, 4, 16])
    func neighboursAreUncorrelated(lag: Int) {
        let z = Self.normals.map(Double.init)
        let u = Self.uniforms.map { Double($0) - 0.5 }
        for (values, variance) in [(z, 1.0), (u, 1.0 / 12)] {
            var sum = 0.0
            for i in 0..<(values.count - lag) { sum += values[i] * values[i + lag] }
            let correlation = sum / Double(values.count - lag) / variance
            #expect(abs(correlation) < 5 / Double(values.count).squareRoot(), "lag \(lag): \(correlation)")
        }
    }

    /// The radius and angle of a pair are independent: the squared pair radius z₀² + z₁² is
    /// Exp(½)-distributed, mean 2 and SD 2, whatever the angle.
    @Test func pairRadiusIsExponential() {
        let z = Self.normals
        var sum = 0.0
        for pair in stride(from: 0, to: z.count, by: 2) {
            sum += Double(z[pair] * z[pair] + z[pair + 1] * z[pair + 1])
        }
        let pairs = Double(z.count / 2)
        expectClose(sum / pairs, 2, absoluteTolerance: 5 * 2 / pairs.squareRoot())
    }

    /// 10⁶ normals (a quarter of a million blocks) contain no NaN or infinity.
    @Test func millionNormalsAreFinite() {
        var generator = Philox4x32(seed: 31_415)
        let z = generator.normalFloats(count: 1_000_000)
        #expect(z.allSatisfy { $0.isFinite })
    }
}
