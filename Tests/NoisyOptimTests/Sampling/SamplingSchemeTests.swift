import Foundation
import Testing
@testable import NoisyOptim

/// The closed-form covariance every scheme exposes, so one table can test them all.
protocol ClosedFormCovariance { func covariance(_ i: Int, _ j: Int) -> Double }
extension SGDSampling: ClosedFormCovariance {}
extension GaussianSampling: ClosedFormCovariance {}
extension BernoulliSampling: ClosedFormCovariance {}
extension SparseGaussianSampling: ClosedFormCovariance {}
extension MiniBatchGaussianSampling: ClosedFormCovariance {}

/// How much of SGD's covariance a scheme claims to reproduce.
enum SGDMatch: Sendable { case whole, diagonal, none }

/// One scheme of the table, with what it claims about SGD at batch size `imitated`.
struct SchemeCase: Sendable, CustomTestStringConvertible {
    let name: String
    let scheme: any SamplingScheme & ClosedFormCovariance
    let imitated: Int
    let match: SGDMatch
    var testDescription: String { name }

    /// n = 10 examples imitating b = 3: small enough to estimate all 55 covariance entries.
    static let small: [SchemeCase] = {
        let n = 10, b = 3
        return try! [
            SchemeCase(name: "SGD without replacement", scheme: SGDSampling(exampleCount: n, batchSize: b), imitated: b, match: .whole),
            SchemeCase(name: "SGD with replacement", scheme: SGDSampling(exampleCount: n, batchSize: b, withReplacement: true), imitated: b, match: .none),
            SchemeCase(name: "Gaussian full", scheme: GaussianSampling(exampleCount: n, imitatingBatchSize: b), imitated: b, match: .whole),
            SchemeCase(name: "Gaussian diagonal", scheme: GaussianSampling(exampleCount: n, imitatingBatchSize: b, covariance: .diagonal), imitated: b, match: .diagonal),
            SchemeCase(name: "Gaussian full, raw σ = 0.7", scheme: GaussianSampling(exampleCount: n, sigma: 0.7), imitated: b, match: .none),
            SchemeCase(name: "Bernoulli", scheme: BernoulliSampling(exampleCount: n, imitatingBatchSize: b), imitated: b, match: .diagonal),
            SchemeCase(name: "Bernoulli, p = 0.9", scheme: BernoulliSampling(exampleCount: n, keepProbability: 0.9), imitated: b, match: .none),
            SchemeCase(name: "sparse Gaussian full, B = 4", scheme: SparseGaussianSampling(exampleCount: n, support: 4, imitatingBatchSize: b), imitated: b, match: .whole),
            SchemeCase(name: "sparse Gaussian diagonal, B = 4", scheme: SparseGaussianSampling(exampleCount: n, support: 4, imitatingBatchSize: b, covariance: .diagonal), imitated: b, match: .diagonal),
            SchemeCase(name: "mini-batch Gaussian full, B = 6", scheme: MiniBatchGaussianSampling(exampleCount: n, batchSize: 6, imitatingBatchSize: b), imitated: b, match: .whole),
            SchemeCase(name: "mini-batch Gaussian diagonal, B = 6", scheme: MiniBatchGaussianSampling(exampleCount: n, batchSize: 6, imitatingBatchSize: b, covariance: .diagonal), imitated: b, match: .diagonal),
        ]
    }()
}

/// Monte-Carlo moments of W about its known mean 1/n.
struct MomentEstimate {
    let n: Int
    let draws: Int
    /// The sample mean of each Wᵢ.
    var mean: [Double]
    /// Ĉᵢⱼ = (1/N) Σ (Wᵢ − 1/n)(Wⱼ − 1/n), row-major n×n: unbiased, because the mean is known.
    var covariance: [Double]
    /// The standard error of each Ĉᵢⱼ: the sample standard deviation of the N products over √N.
    var standardError: [Double]

    init(_ scheme: any SamplingScheme, draws: Int, seed: UInt64) {
        let n = scheme.exampleCount
        self.n = n
        self.draws = draws
        var generator = Philox4x32(seed: seed)
        var sum = [Double](repeating: 0, count: n)
        var products = [Double](repeating: 0, count: n * n)
        var squares = [Double](repeating: 0, count: n * n)
        var x = [Double](repeating: 0, count: n)
        for _ in 0..<draws {
            let w = scheme.sample(using: &generator).dense
            for i in 0..<n { x[i] = Double(w[i]) - 1 / Double(n) }
            sum.withUnsafeMutableBufferPointer { sum in
                products.withUnsafeMutableBufferPointer { products in
                    squares.withUnsafeMutableBufferPointer { squares in
                        for i in 0..<n {
                            sum[i] += x[i]
                            for j in i..<n {
                                let p = x[i] * x[j]
                                products[i * n + j] += p
                                squares[i * n + j] += p * p
                            }
                        }
                    }
                }
            }
        }
        let count = Double(draws)
        mean = sum.map { $0 / count + 1 / Double(n) }
        covariance = [Double](repeating: 0, count: n * n)
        standardError = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                let c = products[i * n + j] / count
                let se = (max(0, squares[i * n + j] / count - c * c) / count).squareRoot()
                covariance[i * n + j] = c; covariance[j * n + i] = c
                standardError[i * n + j] = se; standardError[j * n + i] = se
            }
        }
    }
}

@Suite struct SamplingMomentTests {
    // N = 20,000 draws. Every estimate is compared with its closed form within 5 standard errors
    // (plus 1e-9 for the Float rounding of the weights). Means: SE = √(Var[Wᵢ]/N) from the closed
    // form. Covariance entries: SE = sd((Wᵢ − 1/n)(Wⱼ − 1/n))/√N, estimated from the same draws, so
    // the tolerance is right for the non-Gaussian classes too; for a Gaussian variance it is
    // ≈ Var·√(2/N) ≈ 1% of Var, so a σ² off by 5% or more fails. With ~65 checks per scheme at 5
    // standard errors a correct scheme fails with probability ~1e-5 (and the seeds are fixed).
    static let draws = 20_000

    @Test(arguments: SchemeCase.small)
    func meanAndCovarianceMatchTheClosedForm(_ testCase: SchemeCase) {
        let scheme = testCase.scheme
        let n = scheme.exampleCount
        let estimate = MomentEstimate(scheme, draws: Self.draws, seed: 20_200_713)
        let sgd = try! SGDSampling(exampleCount: n, batchSize: testCase.imitated)
        for i in 0..<n {
            let meanTolerance = 5 * (scheme.covariance(i, i) / Double(Self.draws)).squareRoot() + 1e-9
            expectClose(estimate.mean[i], 1 / Double(n), absoluteTolerance: meanTolerance, "E[W\(i)] = 1/n")
            for j in 0..<n {
                let tolerance = 5 * estimate.standardError[i * n + j] + 1e-9
                let c = estimate.covariance[i * n + j]
                expectClose(c, scheme.covariance(i, j), absoluteTolerance: tolerance, "Cov[W\(i), W\(j)], own formula")
                let claimsSGD = testCase.match == .whole || (testCase.match == .diagonal && i == j)
                if claimsSGD {
                    expectClose(c, sgd.covariance(i, j), absoluteTolerance: tolerance, "Cov[W\(i), W\(j)] = SGD's at b = \(testCase.imitated)")
                }
            }
        }
    }

    @Test func theClosedFormsAgreeWithSGDWhereTheyClaimTo() throws {
        // Exact identities, so only Double rounding is allowed (relative 1e-12), at sizes unlike
        // the Monte-Carlo ones.
        for (n, b, support) in [(10, 3, 4), (1_000, 32, 64), (60_000, 128, 128), (7, 7, 7), (50, 1, 2)] {
            let sgd = try SGDSampling(exampleCount: n, batchSize: b)
            let whole: [any ClosedFormCovariance] = [
                try GaussianSampling(exampleCount: n, imitatingBatchSize: b),
                try SparseGaussianSampling(exampleCount: n, support: support, imitatingBatchSize: b),
                try MiniBatchGaussianSampling(exampleCount: n, batchSize: max(b, support), imitatingBatchSize: b),
            ]
            let diagonal: [any ClosedFormCovariance] = [
                try GaussianSampling(exampleCount: n, imitatingBatchSize: b, covariance: .diagonal),
                try BernoulliSampling(exampleCount: n, imitatingBatchSize: b),
                try SparseGaussianSampling(exampleCount: n, support: support, imitatingBatchSize: b, covariance: .diagonal),
                try MiniBatchGaussianSampling(exampleCount: n, batchSize: max(b, support), imitatingBatchSize: b, covariance: .diagonal),
            ]
            for (i, j) in [(0, 0), (0, 1), (n - 1, 0), (n / 2, n / 2)] {
                let target = sgd.covariance(i, j)
                for scheme in whole {
                    expectClose(scheme.covariance(i, j), target, absoluteTolerance: 1e-300, relativeTolerance: 1e-12, "\(scheme) at n = \(n), b = \(b)")
                }
                if i == j {
                    for scheme in diagonal {
                        expectClose(scheme.covariance(i, j), target, absoluteTolerance: 1e-300, relativeTolerance: 1e-12, "\(scheme) at n = \(n), b = \(b)")
                    }
                }
            }
        }
        // The documented σ² values themselves.
        let n = 60_000.0, b = 128.0
        expectClose(try GaussianSampling(exampleCount: 60_000, imitatingBatchSize: 128).sigma, (n * (n - b) / (b * (n - 1))).squareRoot(), relativeTolerance: 1e-15)
        expectClose(try GaussianSampling(exampleCount: 60_000, imitatingBatchSize: 128, covariance: .diagonal).sigma, ((n - b) / b).squareRoot(), relativeTolerance: 1e-15)
        expectClose(try BernoulliSampling(exampleCount: 60_000, imitatingBatchSize: 128).sigma, ((n - b) / b).squareRoot(), relativeTolerance: 1e-12)
        expectClose(try SparseGaussianSampling(exampleCount: 60_000, support: 256, imitatingBatchSize: 128).sigma, (n * (n - b) / (b * 255)).squareRoot(), relativeTolerance: 1e-15)
        expectClose(try MiniBatchGaussianSampling(exampleCount: 60_000, batchSize: 1_024, imitatingBatchSize: 128).sigma, (1_024 * 896 / (128 * 1_023.0)).squareRoot(), relativeTolerance: 1e-15)
        // B = n turns the sparse class into the dense one.
        expectClose(try SparseGaussianSampling(exampleCount: 500, support: 500, imitatingBatchSize: 20).sigma,
                    try GaussianSampling(exampleCount: 500, imitatingBatchSize: 20).sigma, relativeTolerance: 1e-15)
    }

    @Test func bernoulliKeepsABinomialNumberOfExamples() throws {
        // The count is Binomial(n, p): mean n p, variance n p (1 − p). N = 4,000 draws; SE of the
        // mean √(np(1 − p)/N), SE of the variance ≈ Var·√(2/N) (the binomial is near-normal here);
        // 5 standard errors each. Small p exercises long skips, large p short ones.
        for (n, p) in [(1_000, 0.05), (50, 0.9), (60_000, 128.0 / 60_000)] {
            let scheme = try BernoulliSampling(exampleCount: n, keepProbability: p)
            var generator = Philox4x32(seed: 7)
            let draws = 4_000
            var counts = [Double]()
            for _ in 0..<draws {
                let w = scheme.sample(using: &generator)
                #expect(zip(w.indices, w.indices.dropFirst()).allSatisfy { $0 < $1 }, "kept examples in increasing order, each once")
                #expect(w.weights.allSatisfy { $0 == Float(1 / (Double(n) * p)) })
                counts.append(Double(w.indices.count))
            }
            let mean = counts.reduce(0, +) / Double(draws)
            let variance = counts.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws - 1)
            let expectedVariance = Double(n) * p * (1 - p)
            expectClose(mean, Double(n) * p, absoluteTolerance: 5 * (expectedVariance / Double(draws)).squareRoot(), "mean count, n = \(n)")
            expectClose(variance, expectedVariance, absoluteTolerance: 5 * expectedVariance * (2 / Double(draws)).squareRoot(), "count variance, n = \(n)")
        }
    }

    @Test func aLargeGaussianDrawHasTheDocumentedSpread() throws {
        // One draw over n = 60,000 (the vectorized fill, SIMD tails): the spread across examples
        // estimates Var[Wᵢ] with relative standard error √(2/n) ≈ 0.6%; allow 5 of them.
        let n = 60_000
        for covariance in SamplingCovariance.allCases {
            let scheme = try GaussianSampling(exampleCount: n, imitatingBatchSize: 128, covariance: covariance)
            var generator = Philox4x32(seed: 11)
            let w = scheme.sample(using: &generator)
            #expect(w.indices == Array(0..<n))
            let spread = w.weights.map { (Double($0) - 1 / Double(n)) * (Double($0) - 1 / Double(n)) }.reduce(0, +) / Double(n)
            expectClose(spread, scheme.covariance(0, 0), relativeTolerance: 5 * (2 / Double(n)).squareRoot(), "\(covariance)")
        }
    }
}

@Suite struct SamplingStructureTests {
    /// |Σᵢ Wᵢ − 1| allowed for a draw: each weight carries at most ~4 Float roundings of relative
    /// size 2⁻²⁴, and they add up at worst linearly.
    func sumTolerance(_ w: SampleWeights) -> Double {
        4 * 0x1p-24 * w.weights.reduce(0) { $0 + abs(Double($1)) } + 1e-12
    }

    @Test func centredClassesAndSGDSumToOne() throws {
        let schemes: [any SamplingScheme] = [
            try SGDSampling(exampleCount: 10, batchSize: 3),
            try SGDSampling(exampleCount: 60_000, batchSize: 128, withReplacement: true),
            try GaussianSampling(exampleCount: 10, imitatingBatchSize: 3),
            try GaussianSampling(exampleCount: 60_000, imitatingBatchSize: 128),
            try GaussianSampling(exampleCount: 1, sigma: 3),
            try SparseGaussianSampling(exampleCount: 60_000, support: 128, imitatingBatchSize: 128),
            try MiniBatchGaussianSampling(exampleCount: 60_000, batchSize: 1_024, imitatingBatchSize: 128),
        ]
        var generator = Philox4x32(seed: 3)
        for scheme in schemes {
            for _ in 0..<5 {
                let w = scheme.sample(using: &generator)
                let total = w.weights.reduce(0) { $0 + Double($1) }
                expectClose(total, 1, absoluteTolerance: sumTolerance(w), "Σ W for \(scheme)")
            }
        }
    }

    @Test func sparseClassesListOnlyTheirExamples() throws {
        var generator = Philox4x32(seed: 5)
        for _ in 0..<20 {
            let sgd = try SGDSampling(exampleCount: 1_000, batchSize: 32).sample(using: &generator)
            #expect(sgd.indices.count == 32 && Set(sgd.indices).count == 32, "b distinct examples")
            #expect(sgd.weights.allSatisfy { $0 == 1 / Float(32) })

            let withReplacement = try SGDSampling(exampleCount: 5, batchSize: 8, withReplacement: true).sample(using: &generator)
            #expect(withReplacement.indices.count == 8, "b draws, repeats allowed (and b > n is fine)")

            let miniBatch = try MiniBatchGaussianSampling(exampleCount: 1_000, batchSize: 64, imitatingBatchSize: 8).sample(using: &generator)
            #expect(miniBatch.indices.count == 64 && Set(miniBatch.indices).count == 64, "B distinct examples")

            // Sparse Gaussian noise leaves every weight non-zero: all n are listed, B are noisy.
            let sparse = try SparseGaussianSampling(exampleCount: 1_000, support: 16, imitatingBatchSize: 8).sample(using: &generator)
            #expect(sparse.indices == Array(0..<1_000))
            #expect(sparse.weights.filter { $0 != 1 / Float(1_000) }.count == 16, "noise on exactly B examples")

            let gaussian = try GaussianSampling(exampleCount: 100, imitatingBatchSize: 8, covariance: .diagonal).sample(using: &generator)
            #expect(gaussian.indices == Array(0..<100))
        }
    }

    @Test(arguments: [(10, 3), (100, 100), (1_000, 7), (50, 20), (9, 1), (1, 1)])
    func sgdDrawsTheFirstBatchOfMiniBatches(_ n: Int, _ b: Int) throws {
        for seed: UInt64 in [0, 1, 99] {
            var forScheme = Philox4x32(seed: seed)
            var forBatches = Philox4x32(seed: seed)
            let w = try SGDSampling(exampleCount: n, batchSize: b).sample(using: &forScheme)
            let first = MiniBatches(exampleCount: n, batchSize: b, using: &forBatches).first { _ in true }!
            #expect(w == SampleWeights.batch(first, exampleCount: n), "the same batch, bit-identical weights")
            // σ = 0 on a mini-batch is exactly SGD with that batch.
            if b >= 2 {
                var forNoisy = Philox4x32(seed: seed)
                let noiseless = try MiniBatchGaussianSampling(exampleCount: n, batchSize: b, sigma: 0).sample(using: &forNoisy)
                #expect(noiseless == w)
            }
        }
    }

    @Test(arguments: [(10, 0), (10, 3), (10, 9), (10, 10), (64, 8), (64, 9), (1_000, 100)])
    func randomPrefixIsThePrefixOfTheShuffle(_ n: Int, _ count: Int) {
        // Both branches (hash table when count·8 ≤ n, array otherwise) against the standard shuffle.
        var a = Philox4x32(seed: 42), b = Philox4x32(seed: 42)
        let prefix = randomPrefixOfPermutation(count: count, of: n, using: &a)
        let shuffled = Array(0..<n).shuffled(using: &b)
        #expect(prefix == Array(shuffled.prefix(count)))
    }

    @Test(arguments: SchemeCase.small)
    func drawsAreDeterminedBySeedAndState(_ testCase: SchemeCase) {
        let scheme = testCase.scheme
        var first = Philox4x32(seed: 1234), second = Philox4x32(seed: 1234), other = Philox4x32(seed: 1235)
        let a = (0..<3).map { _ in scheme.sample(using: &first) }
        let b = (0..<3).map { _ in scheme.sample(using: &second) }
        #expect(a == b, "same seed, same draws")
        #expect(first == second, "and the same generator state after them")
        let c = (0..<3).map { _ in scheme.sample(using: &other) }
        #expect(a != c, "another seed, other draws")
        #expect(a[0] != a[1], "successive draws differ")
    }

    @Test func gaussianRunsAtDifferentScalesAreCoupled() throws {
        // The same state gives the same ε whatever σ: (W − 1/n)·n/σ is the same vector, up to the
        // Float rounding of the weights (a few 2⁻²⁴ relative to |W|·n/σ ≈ |ε|).
        let n = 1_000
        for covariance in SamplingCovariance.allCases {
            var g0 = Philox4x32(seed: 8), g1 = Philox4x32(seed: 8), g2 = Philox4x32(seed: 8)
            let zero = try GaussianSampling(exampleCount: n, sigma: 0, covariance: covariance).sample(using: &g0)
            #expect(zero == SampleWeights.full(exampleCount: n), "σ = 0 is gradient descent, bit for bit")
            let small = try GaussianSampling(exampleCount: n, sigma: 0.5, covariance: covariance).sample(using: &g1)
            let large = try GaussianSampling(exampleCount: n, sigma: 4, covariance: covariance).sample(using: &g2)
            let unitSmall = small.weights.map { (Double($0) - 1 / Double(n)) * Double(n) / 0.5 }
            let unitLarge = large.weights.map { (Double($0) - 1 / Double(n)) * Double(n) / 4 }
            for i in 0..<n {
                expectClose(unitSmall[i], unitLarge[i], absoluteTolerance: 1e-4 * (1 + abs(unitLarge[i])), "ε\(i), \(covariance)")
            }
        }
    }

    @Test func schemesRoundTripThroughCodable() throws {
        try roundTrip(SGDSampling(exampleCount: 10, batchSize: 3, withReplacement: true))
        try roundTrip(GaussianSampling(exampleCount: 10, imitatingBatchSize: 3, covariance: .diagonal))
        try roundTrip(BernoulliSampling(exampleCount: 10, keepProbability: 0.25))
        try roundTrip(SparseGaussianSampling(exampleCount: 10, support: 4, imitatingBatchSize: 3))
        try roundTrip(MiniBatchGaussianSampling(exampleCount: 10, batchSize: 6, sigma: 1.5, covariance: .diagonal))
        // Decoding validates like the initializer.
        let bad = Data(#"{"exampleCount":10,"batchSize":11,"withReplacement":false}"#.utf8)
        #expect(throws: SamplingError.self) { try JSONDecoder().decode(SGDSampling.self, from: bad) }
        let negative = Data(#"{"exampleCount":10,"sigma":-1,"covariance":"full"}"#.utf8)
        #expect(throws: SamplingError.self) { try JSONDecoder().decode(GaussianSampling.self, from: negative) }
    }

    func roundTrip<S: SamplingScheme & Equatable>(_ scheme: S) throws {
        let decoded = try JSONDecoder().decode(S.self, from: JSONEncoder().encode(scheme))
        #expect(decoded == scheme)
    }
}

/// A construction that must fail, the parameter it must name and the value it must report.
struct InvalidConstruction: Sendable, CustomTestStringConvertible {
    let name: String
    let value: Double
    let build: @Sendable () throws -> any SamplingScheme
    var testDescription: String { "\(name) = \(value)" }

    static let all: [InvalidConstruction] = [
        .init(name: "exampleCount", value: 0) { try SGDSampling(exampleCount: 0, batchSize: 1) },
        .init(name: "exampleCount", value: -3) { try GaussianSampling(exampleCount: -3, imitatingBatchSize: 1) },
        .init(name: "batchSize", value: 11) { try SGDSampling(exampleCount: 10, batchSize: 11) },
        .init(name: "batchSize", value: 0) { try SGDSampling(exampleCount: 10, batchSize: 0) },
        .init(name: "batchSize", value: 0) { try SGDSampling(exampleCount: 10, batchSize: 0, withReplacement: true) },
        .init(name: "sigma", value: -1) { try GaussianSampling(exampleCount: 10, sigma: -1) },
        .init(name: "sigma", value: .infinity) { try GaussianSampling(exampleCount: 10, sigma: .infinity, covariance: .diagonal) },
        .init(name: "imitatingBatchSize", value: 11) { try GaussianSampling(exampleCount: 10, imitatingBatchSize: 11) },
        .init(name: "imitatingBatchSize", value: 0) { try GaussianSampling(exampleCount: 10, imitatingBatchSize: 0, covariance: .diagonal) },
        .init(name: "keepProbability", value: 0) { try BernoulliSampling(exampleCount: 10, keepProbability: 0) },
        .init(name: "keepProbability", value: 1.5) { try BernoulliSampling(exampleCount: 10, keepProbability: 1.5) },
        .init(name: "imitatingBatchSize", value: 12) { try BernoulliSampling(exampleCount: 10, imitatingBatchSize: 12) },
        .init(name: "sigma", value: -0.5) { try BernoulliSampling(exampleCount: 10, sigma: -0.5) },
        .init(name: "support", value: 0) { try SparseGaussianSampling(exampleCount: 10, support: 0, imitatingBatchSize: 3, covariance: .diagonal) },
        .init(name: "support", value: 11) { try SparseGaussianSampling(exampleCount: 10, support: 11, imitatingBatchSize: 3) },
        .init(name: "support", value: 1) { try SparseGaussianSampling(exampleCount: 10, support: 1, imitatingBatchSize: 3) },
        .init(name: "sigma", value: -2) { try SparseGaussianSampling(exampleCount: 10, support: 4, sigma: -2) },
        .init(name: "imitatingBatchSize", value: 11) { try SparseGaussianSampling(exampleCount: 10, support: 4, imitatingBatchSize: 11) },
        .init(name: "batchSize", value: 12) { try MiniBatchGaussianSampling(exampleCount: 10, batchSize: 12, imitatingBatchSize: 3) },
        .init(name: "batchSize", value: 1) { try MiniBatchGaussianSampling(exampleCount: 10, batchSize: 1, sigma: 1) },
        .init(name: "imitatingBatchSize", value: 5) { try MiniBatchGaussianSampling(exampleCount: 10, batchSize: 4, imitatingBatchSize: 5) },
    ]
}

@Suite struct SamplingErrorTests {
    @Test(arguments: InvalidConstruction.all)
    func invalidParametersThrowNamingTheValue(_ construction: InvalidConstruction) {
        do {
            let scheme = try construction.build()
            Issue.record("built \(scheme) instead of throwing")
        } catch let SamplingError.invalidParameter(name, value, _) {
            #expect(name == construction.name)
            #expect(value == construction.value)
        } catch {
            Issue.record("threw \(error) instead of SamplingError")
        }
    }

    @Test func messagesNameTheParameterAndItsValue() {
        let error = SamplingError.invalidParameter(name: "batchSize", value: 11, requirement: "1 ≤ batchSize ≤ 10 (the example count)")
        #expect(error.description == "invalid sampling parameter batchSize = 11: requires 1 ≤ batchSize ≤ 10 (the example count)")
        #expect(SamplingError.invalidParameter(name: "sigma", value: -0.5, requirement: "a finite value ≥ 0").description.contains("sigma = -0.5"))
        do {
            _ = try GaussianSampling(exampleCount: 10, sigma: .nan)
            Issue.record("σ = NaN accepted")
        } catch {
            #expect("\(error)".contains("sigma = nan"))
        }
    }
}
