// What a user can write with `import NoisyOptim` alone (no @testable): two transforms of their
// own — an Adagrad-like accumulator with per-parameter state, and a preconditioned Langevin noise
// keyed by (seed, step, position) — built from the public blocks, checked against hand-computed
// steps and run inside an optimizer with checkpoint and resume.

import Foundation
import NoisyOptim
import Testing

/// Adagrad's scaling (Duchi, Hazan and Singer 2011): s ← s + d², d ← d/(√s + ε).
struct AccumulateSquares: GradientTransform {
    var epsilon: Float = 1e-10
    static var stateKey: String { "accumulateSquares" }
    struct State: Codable, Sendable, Equatable { var squares: Tensor }

    func makeState(for layout: ParameterLayout) -> State { State(squares: .zeros([layout.count])) }

    func validate(_ state: State, for layout: ParameterLayout) throws {
        try state.squares.validateStateBuffer(part: "accumulateSquares.squares", count: layout.count)
    }

    func plan(_ state: inout State, context: StepContext) -> StepBuffer {
        state.squares.openForStep(count: context.layout.count, owner: "accumulateSquares")
    }

    func apply(_ squares: StepBuffer, to block: UpdateBlock) {
        let s = squares.slice(for: block), d = block.directionBuffer
        BlockMath.addSquares(of: UnsafeBufferPointer(d), to: s)
        BlockMath.divide(d, bySquareRootOf: UnsafeBufferPointer(s), plus: epsilon)
    }
}

/// Langevin noise with a fixed diagonal preconditioner G, in parameter units after the learning
/// rate: Δθ ← Δθ + √(2·lrₜ·T)·√G ⊙ z, z keyed by (seed, t, position).
struct PreconditionedLangevinNoise: GradientTransform {
    var temperature: Double
    var seed: UInt64
    var preconditioner: [Float]
    static var stateKey: String { "preconditionedLangevin" }
    struct State: Codable, Sendable, Equatable { var rootG: Tensor }
    struct Plan { let rootG: StepBuffer; let scale: Float; let noise: NoiseStream; let step: Int }

    func makeState(for layout: ParameterLayout) -> State { State(rootG: Tensor(preconditioner.map { $0.squareRoot() })) }

    func plan(_ state: inout State, context: StepContext) -> Plan {
        Plan(rootG: state.rootG.openForStep(count: context.layout.count, owner: "preconditionedLangevin"),
             scale: Float((2 * context.learningRate * temperature).squareRoot()),
             noise: NoiseStream(seed: seed), step: context.step)
    }

    func apply(_ plan: Plan, to block: UpdateBlock) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: block.count) { z in
            plan.noise.fillNormal(z, step: plan.step, position: block.range.lowerBound)
            BlockMath.multiply(z, by: UnsafeBufferPointer(plan.rootG.slice(for: block)))
            BlockMath.add(UnsafeBufferPointer(z), scaledBy: plan.scale, to: block.directionBuffer)
        }
    }
}

/// A rule written outside the module with all three fused forms: d ← c·d, so θ ← θ + α·c·d, as a
/// block kernel and per position (`LaneUpdate`), which gradient noise on a large vector feeds lane
/// by lane. `lanes: false` hides the per-position form (the noise then goes through the scratch).
struct ScaleDirection: GradientTransform {
    var factor: Float
    var lanes = true
    struct State: Codable, Sendable, Equatable {}
    func makeState(for layout: ParameterLayout) -> State { State() }
    func plan(_ state: inout State, context: StepContext) -> Float { factor }
    func apply(_ c: Float, to block: UpdateBlock) { BlockMath.scale(block.directionBuffer, by: c) }
    func canFuse(_ c: Float, alpha: Float) -> Bool { true }

    func applyFused(_ c: Float, to block: FusedBlock) -> Bool {
        for i in 0..<block.count { block.parameters[i] += block.alpha * (c * (block.sign * block.gradient[i])) }
        return true
    }

    struct Lanes: LaneUpdate {
        let parameters: UnsafeMutablePointer<Float>, alpha: Float, c: Float
        func update(_ d: SIMD4<Float>, at offset: Int, skipping skipped: SIMDMask<SIMD4<Int32>>) {
            let raw = UnsafeMutableRawPointer(parameters + offset), theta = raw.loadUnaligned(as: SIMD4<Float>.self)
            raw.storeBytes(of: (theta + alpha * (c * d)).replacing(with: theta, where: skipped), as: SIMD4<Float>.self)
        }
        func update(_ d: Float, at offset: Int) { parameters[offset] += alpha * (c * d) }
    }

    func applyFused<Source: DirectionSource>(_ c: Float, to block: FusedBlock, from source: Source) -> Bool {
        lanes && source.run(Lanes(parameters: block.parameters, alpha: block.alpha, c: c))
    }
}

@Suite struct OutsideTransformTests {
    @Test func accumulatorStepsAsComputedByHand() throws {
        // θ₀ = (1, 2), lr = 0.1. g₁ = (3, 4): s = (9, 16), d = (1, 1), θ₁ = (0.9, 1.9).
        // g₂ = (0, 4): s = (9, 32), d = (0, 4/√32), θ₂ = (0.9, 1.9 − 0.1·0.70711). Float: 1e-6.
        var adagrad = try ChainOptimizer(layout: .flat(count: 2), rule: AccumulateSquares(), learningRate: 0.1)
        var theta = Tensor([1, 2])
        try adagrad.step(&theta, gradient: Tensor([3, 4]))
        #expect(abs(theta.scalars[0] - 0.9) < 1e-6 && abs(theta.scalars[1] - 1.9) < 1e-6)
        try adagrad.step(&theta, gradient: Tensor([0, 4]))
        #expect(abs(theta.scalars[0] - 0.9) < 1e-6)
        #expect(abs(Double(theta.scalars[1]) - (1.9 - 0.1 * 4 / 32.0.squareRoot())) < 1e-6)
        #expect(adagrad.state.rule.squares.scalars == [9, 32])
    }

    @Test func preconditionedNoiseStepsAsComputedByHand() throws {
        // Zero gradient, lr = 0.02, T = 0.5: Δθᵢ = √(2·0.02·0.5)·√Gᵢ·zᵢ with z the user stream's
        // values at step 0; float rounding of three products: 1e-6 relative.
        let g: [Float] = [1, 4, 0.25, 9, 0, 2, 3]
        var optimizer = try ChainOptimizer(layout: .flat(count: 7), rule: Identity(),
                                           update: PreconditionedLangevinNoise(temperature: 0.5, seed: 21, preconditioner: g),
                                           learningRate: 0.02)
        var theta = Tensor.zeros([7])
        try optimizer.step(&theta, gradient: .zeros([7]))
        var z = [Float](repeating: 0, count: 7)
        z.withUnsafeMutableBufferPointer { NoiseStream(seed: 21).fillNormal($0, step: 0, position: 0) }
        for i in 0..<7 {
            let expected = (2 * 0.02 * 0.5).squareRoot() * Double(g[i]).squareRoot() * Double(z[i])
            #expect(abs(Double(theta.scalars[i]) - expected) <= 1e-6 * abs(expected) + 1e-9, "position \(i)")
        }
        #expect(theta.scalars[4] == 0)
    }

    @Test func bothRunInsideAnOptimizerAndResumeBitForBit() throws {
        let n = 2_500 // three blocks, the last one partial
        let g = (0..<n).map { Float(1 + $0 % 5) }
        func make() throws -> ChainOptimizer<AccumulateSquares, PreconditionedLangevinNoise> {
            try ChainOptimizer(layout: .flat(count: n), rule: AccumulateSquares(),
                               update: PreconditionedLangevinNoise(temperature: 0.1, seed: 3, preconditioner: g),
                               learningRate: 0.05)
                .withGradientNoise(GradientNoise(eta: 0.01, seed: 4))
        }
        let objective: Objective = { point, _ in (0, point * 2 - 1) }
        var straight = try make(), x = Tensor.zeros([n])
        for _ in 0..<6 { try straight.step(&x, objective: objective) }
        var first = try make(), y = Tensor.zeros([n])
        for _ in 0..<3 { try first.step(&y, objective: objective) }
        let saved = try JSONEncoder().encode(first.state)
        var resumed = try make()
        try resumed.restore(try JSONDecoder().decode(type(of: resumed.state), from: saved))
        for _ in 0..<3 { try resumed.step(&y, objective: objective) }
        #expect(y.scalars.map(\.bitPattern) == x.scalars.map(\.bitPattern))
        #expect(resumed.state == straight.state)

        // A state for other parameters is refused with both sides named.
        var small = try ChainOptimizer(layout: .flat(count: 10), rule: AccumulateSquares(), learningRate: 0.1)
        let foreign = try ChainOptimizer(layout: .flat(count: 11), rule: AccumulateSquares(), learningRate: 0.1).state
        #expect(throws: OptimizerError.stateMismatch(part: "accumulateSquares.squares", expected: "shape [10]",
                                                     found: "shape [11]")) {
            try small.restore(foreign)
        }
    }

    @Test func theUserAPIReadsAsDocumented() throws {
        // A learning rate from a Double variable, AdamW's PyTorch default decay, a warm-up with a
        // start factor, a perturbed point from a `let` optimizer, matmul transposing only b.
        let lr = 0.05
        let sgd = try SGD(layout: .flat(count: 3), learningRate: lr, momentum: 0.9)
            .withPerturbation(Perturbation(sigma: 0.1, mode: .allSegments, seed: 1))
        #expect(sgd.learningRate.value(at: 7) == 0.05)
        let point = sgd.perturbedPoint(Tensor([1, 2, 3]))
        #expect(point != Tensor([1, 2, 3]) && sgd.stepCount == 0)

        var adamW = try AdamW(layout: .flat(count: 1), learningRate: 0.1, epsilon: 1e-30)
        var theta = Tensor([2])
        try adamW.step(&theta, gradient: Tensor([4]))  // d = 1 + 0.01·2 → θ = 2 − 0.1·1.02
        #expect(abs(theta.scalar - 1.898) < 1e-6)

        let warmup = Schedule.warmup(steps: 10, startFactor: 0.1, then: .constant(0.5))
        #expect(abs(warmup.value(at: 0) - 0.05) < 1e-15 && warmup.value(at: 10) == 0.5)

        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), b = Tensor(shape: [1, 3], scalars: [1, 0, -1])
        #expect(matmul(a, b, transposingB: true).scalars == [-2, -2])
    }

    /// Gradient noise on a vector past `UpdateBlock.interleavedPreludeMinimum` reaches an outside
    /// rule's `LaneUpdate`, with the bits of the scratch path (a partial last block; two steps).
    @Test func outsideRuleTakesNoiseLaneByLane() throws {
        let count = UpdateBlock.interleavedPreludeMinimum + 37
        let layout = ParameterLayout.flat(count: count)
        let noise = GradientNoise(eta: 0.05, seed: 5)
        var byLanes = try ChainOptimizer(layout: layout, rule: ScaleDirection(factor: 0.5), learningRate: 0.1)
            .withGradientNoise(noise)
        var byBlocks = try ChainOptimizer(layout: layout, rule: ScaleDirection(factor: 0.5, lanes: false), learningRate: 0.1)
            .withGradientNoise(noise)
        var a = Tensor(shape: [count], repeating: 1), b = a
        let g = Tensor((0..<count).map { Float($0 % 7) - 3 })
        for _ in 0..<2 {
            try byLanes.step(&a, gradient: g)
            try byBlocks.step(&b, gradient: g)
        }
        #expect(a == b)
        #expect(a != Tensor(shape: [count], repeating: 1))
    }
}
