// NoiseFamilySupport: the resume check shared by the saddle-escape, averaging and hypergradient
// tests — every noise site set, a run cut by a JSON checkpoint must continue bit for bit.

import Foundation
import Testing
@testable import NoisyOptim

/// `optimizer` with all five noise sites in front of (and after) its rule: sampled mini-batches,
/// a perturbed gradient point, clipping by global norm, annealed gradient noise and parameter noise.
func withEveryNoiseSite<R, U>(_ optimizer: ChainOptimizer<R, U>, exampleCount: Int) throws -> ChainOptimizer<R, U> {
    try optimizer.withSampling(RandomBatch(exampleCount: exampleCount, batchSize: 8), seed: 1)
        .withPerturbation(Perturbation(sigma: 0.01, mode: .everyParameter, seed: 2))
        .withClipping(.globalNorm(5))
        .withGradientNoise(GradientNoise(eta: 0.01, seed: 3))
        .withParameterNoise(ParameterNoise(standardDeviation: 1e-3, seed: 4))
}

/// 2·`half` closure steps straight, against `half` steps, a JSON round trip of the state into a
/// fresh optimizer, and `half` more: parameters and state must agree bit for bit.
func expectResumesBitForBit<O: Optimizer>(_ name: String, half: Int = 3, from start: [Float]? = nil,
                                          _ make: () throws -> O,
                                          sourceLocation: SourceLocation = #_sourceLocation) throws {
    let p = LeastSquares.synthetic()
    let x0 = start ?? [Float](repeating: 0, count: p.columns)
    var straight = try make(), x = Tensor(x0)
    for _ in 0..<(2 * half) { try straight.step(&x, objective: p.objective) }
    var first = try make(), y = Tensor(x0)
    for _ in 0..<half { try first.step(&y, objective: p.objective) }
    var resumed = try make()
    try resumed.restore(try JSONDecoder().decode(O.State.self, from: JSONEncoder().encode(first.state)))
    for _ in 0..<half { try resumed.step(&y, objective: p.objective) }
    #expect(y.scalars.map(\.bitPattern) == x.scalars.map(\.bitPattern), "\(name): parameters", sourceLocation: sourceLocation)
    #expect(resumed.state == straight.state, "\(name): state", sourceLocation: sourceLocation)
}
