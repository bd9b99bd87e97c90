// PosteriorAverage: which steps it keeps, its Welford mean and variance against a naive loop and a
// two-pass computation, its checkpoint, and the typed errors of its settings and of a corrupt one.

import Foundation
import Testing
@testable import NoisyOptim

@Suite struct PosteriorAverageTests {
    @Test func burnInAndThinningKeepTheRightSteps() throws {
        // burnIn 5, thinning 3 over steps 1…20: kept 8, 11, 14, 17, 20.
        var average = try PosteriorAverage(count: 2, burnIn: 5, thinning: 3)
        var kept: [Int] = []
        for t in 1...20 where average.record(step: t, parameters: Tensor([Float(t), 1])) { kept.append(t) }
        #expect(kept == [8, 11, 14, 17, 20])
        #expect(average.sampleCount == 5 && average.mean == [14, 1])
        #expect(average.variance == [22.5, 0])   // of 8, 11, …, 20: Σ(x − 14)²/4 = 90/4
        // No burn-in, no thinning: every step.
        var all = try PosteriorAverage(count: 1)
        var recorded = 0
        for t in 1...7 where all.record(step: t, parameters: Tensor([0])) { recorded += 1 }
        #expect(recorded == 7 && all.sampleCount == 7)
        all.reset()
        #expect(all.sampleCount == 0 && all.mean == [0] && all.variance == [0])
    }

    @Test func welfordMatchesANaiveLoopAndTwoPasses() throws {
        // 37 scalars: four 8-lane groups and a tail of 5. The SIMD loop must give the naive scalar
        // Welford's bits; both must agree with the two-pass mean and variance to 10⁻¹² relative
        // (Welford's error on 60 samples of O(1) values is a few ULPs of Double).
        let n = 37, samples = 60
        var random = TestGenerator(seed: 17)
        let xs = (0..<samples).map { s in (0..<n).map { i in random.nextFloat() * Float(1 + i % 4) + Float(s % 3) } }
        var average = try PosteriorAverage(count: n)
        var m = [Double](repeating: 0, count: n), s2 = m
        for (k, x) in xs.enumerated() {
            let kept = average.record(step: k + 1, parameters: Tensor(x))
            #expect(kept)
            for i in 0..<n {
                let delta = Double(x[i]) - m[i]
                m[i] += delta / Double(k + 1)
                s2[i] += delta * (Double(x[i]) - m[i])
            }
        }
        #expect(average.mean.map(\.bitPattern) == m.map(\.bitPattern))
        #expect(average.variance.map(\.bitPattern) == s2.map { $0 / Double(samples - 1) }.map(\.bitPattern))
        for i in 0..<n {
            let column = xs.map { Double($0[i]) }
            let mean = column.reduce(0, +) / Double(samples)
            let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(samples - 1)
            expectClose(average.mean[i], mean, relativeTolerance: 1e-12, "mean \(i)")
            expectClose(average.variance[i], variance, relativeTolerance: 1e-12, "variance \(i)")
        }
        expectClose(average.meanTensor.scalars, m.map(Float.init), "meanTensor")
    }

    @Test func aCheckpointResumesAndACorruptOneIsRefused() throws {
        var straight = try PosteriorAverage(count: 3, burnIn: 2, thinning: 2)
        var first = try PosteriorAverage(count: 3, burnIn: 2, thinning: 2)
        for t in 1...10 { straight.record(step: t, parameters: Tensor([Float(t), -Float(t), 0.5 * Float(t * t)])) }
        for t in 1...5 { first.record(step: t, parameters: Tensor([Float(t), -Float(t), 0.5 * Float(t * t)])) }
        let data = try JSONEncoder().encode(first)
        var resumed = try JSONDecoder().decode(PosteriorAverage.self, from: data)
        for t in 6...10 { resumed.record(step: t, parameters: Tensor([Float(t), -Float(t), 0.5 * Float(t * t)])) }
        #expect(resumed == straight)

        let json = try #require(String(data: data, encoding: .utf8))
        for (from, to) in [("\"thinning\":2", "\"thinning\":0"), ("\"burnIn\":2", "\"burnIn\":-1"),
                           ("\"sampleCount\":1", "\"sampleCount\":-1"), ("\"count\":3", "\"count\":4")] {
            let corrupt = json.replacingOccurrences(of: from, with: to)
            #expect(corrupt != json, "\(from) not found in \(json)")
            #expect(throws: DecodingError.self, "\(to)") {
                _ = try JSONDecoder().decode(PosteriorAverage.self, from: Data(corrupt.utf8))
            }
        }
    }

    @Test func invalidSettingsAreRefusedByName() {
        #expect(throws: OptimizerError.invalidHyperparameter(name: "thinning", value: 0, requirement: "thinning ≥ 1")) {
            _ = try PosteriorAverage(count: 1, thinning: 0)
        }
        #expect(throws: OptimizerError.invalidHyperparameter(name: "burnIn", value: -1, requirement: "burnIn ≥ 0")) {
            _ = try PosteriorAverage(count: 1, burnIn: -1)
        }
        #expect(throws: OptimizerError.invalidHyperparameter(name: "count", value: -3, requirement: "count ≥ 0")) {
            _ = try PosteriorAverage(count: -3)
        }
    }
}
