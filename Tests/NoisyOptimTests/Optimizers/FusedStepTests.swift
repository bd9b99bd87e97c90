import Testing
@testable import NoisyOptim

/// Hides a transform's fused kernel and identity flag, so the optimizer takes the general block
/// path (copy ±g into scratch, transform it, θ += α·d) for the same arithmetic.
private struct Unfused<Base: GradientTransform>: GradientTransform {
    let base: Base
    init(_ base: Base) { self.base = base }
    func makeState(for layout: ParameterLayout) -> Base.State { base.makeState(for: layout) }
    func plan(_ state: inout Base.State, context: StepContext) -> Base.Plan { base.plan(&state, context: context) }
    func apply(_ plan: Base.Plan, to block: UpdateBlock) { base.apply(plan, to: block) }
    var needsGradientNorm: Bool { base.needsGradientNorm }
}

/// The fused one-pass steps (momentum, Adam, plain descent) give the same bits as the general
/// block path, which the hand-computed SGD and Adam tests pin.
@Suite struct FusedStepTests {
    /// Runs both optimizers for `steps` steps on the same random gradients (odd size: a partial
    /// block and a partial lane group) and expects identical parameters and state.
    func expectSameSteps<T: GradientTransform>(_ transform: T, maximize: Bool = false, steps: Int = 4,
                                               learningRate: Schedule = 0.05, gradientNoise: GradientNoise? = nil,
                                               interleaved: Bool = false) throws {
        let count = 2 * UpdateBlock.size + 37
        let layout = ParameterLayout.flat(count: count)
        var fused = try ChainOptimizer(layout: layout, rule: transform, learningRate: learningRate).maximizing(maximize)
        fused.interleavedPreludeMinimum = interleaved ? 0 : .max
        var general = try ChainOptimizer(layout: layout, rule: Unfused(transform), learningRate: learningRate)
            .maximizing(maximize)
        if let gradientNoise {
            fused = try fused.withGradientNoise(gradientNoise)
            general = try general.withGradientNoise(gradientNoise)
        }
        var random = TestGenerator(seed: 11)
        var a = Tensor(random.floats(count)), b = a
        for _ in 0..<steps {
            let g = Tensor(random.floats(count))
            try fused.step(&a, gradient: g)
            try general.step(&b, gradient: g)
        }
        #expect(a == b, "θ differs after \(steps) steps of \(T.self), maximize: \(maximize)")
        #expect(fused.state.rule == general.state.rule)
    }

    @Test(arguments: [false, true])
    func momentumMatchesGeneralPath(maximize: Bool) throws {
        // First step (v₁ = d) and later steps, plain and Nesterov, with and without dampening.
        try expectSameSteps(try Momentum(0.9), maximize: maximize)
        try expectSameSteps(try Momentum(0.9, dampening: 0.3), maximize: maximize)
        try expectSameSteps(try Momentum(0.8, nesterov: true), maximize: maximize)
    }

    @Test(arguments: [false, true])
    func adamMatchesGeneralPath(maximize: Bool) throws {
        try expectSameSteps(try ScaleByAdam(beta1: 0.9, beta2: 0.99, epsilon: 1e-6), maximize: maximize,
                            learningRate: .exponential(initial: 0.01, factor: 0.9))
    }

    @Test(arguments: [false, true])
    func adaptiveRulesMatchGeneralPath(maximize: Bool) throws {
        // The starting accumulator and every RMSprop option change the lane arithmetic.
        try expectSameSteps(try ScaleByAdagrad(initialAccumulatorValue: 0.1, epsilon: 1e-6), maximize: maximize)
        try expectSameSteps(try ScaleByRMSprop(alpha: 0.9, epsilon: 1e-6), maximize: maximize)
        try expectSameSteps(try ScaleByRMSprop(alpha: 0.9, epsilon: 1e-6, momentum: 0.8, centered: true), maximize: maximize)
        try expectSameSteps(try ScaleByAdadelta(rho: 0.8, epsilon: 1e-5), maximize: maximize)
        try expectSameSteps(try ScaleByAMSGrad(beta1: 0.9, beta2: 0.99, epsilon: 1e-6), maximize: maximize,
                            learningRate: .exponential(initial: 0.01, factor: 0.9))
    }

    @Test(arguments: [false, true])
    func plainDescentMatchesGeneralPath(maximize: Bool) throws {
        try expectSameSteps(try Momentum(0), maximize: maximize)
        try expectSameSteps(Identity(), maximize: maximize)
    }

    /// Gradient noise is a prelude: ±g + σₜz goes to the block's scratch and the rule's fused
    /// kernel runs on it (one pass over θ and the rule's buffers), with the general path's bits.
    @Test(arguments: [false, true])
    func gradientNoiseFusesAsAPreludeWithTheGeneralPathsBits(maximize: Bool) throws {
        let noise = GradientNoise(eta: 0.05, seed: 21)
        try expectSameSteps(try Momentum(0.9), maximize: maximize, gradientNoise: noise)
        try expectSameSteps(try Momentum(0.8, nesterov: true), maximize: maximize, gradientNoise: noise)
        try expectSameSteps(try ScaleByAdam(beta1: 0.9, beta2: 0.99, epsilon: 1e-6), maximize: maximize,
                            learningRate: .exponential(initial: 0.01, factor: 0.9), gradientNoise: noise)
        try expectSameSteps(try ScaleByRMSprop(alpha: 0.9, epsilon: 1e-6, momentum: 0.8, centered: true),
                            maximize: maximize, gradientNoise: noise)
    }

    /// On large vectors the noise goes to the rule lane by lane (`applyFused(_:to:from:)`, a masked
    /// update while a lane's normal is pending, then a scalar one): the same bits as the general
    /// path, here forced on a small vector with a partial block, over the first step (the block path)
    /// and three more.
    @Test(arguments: [false, true])
    func interleavedGradientNoiseHasTheGeneralPathsBits(maximize: Bool) throws {
        let noise = GradientNoise(eta: 0.05, seed: 21)
        try expectSameSteps(try Momentum(0.9), maximize: maximize, gradientNoise: noise, interleaved: true)
        try expectSameSteps(try Momentum(0.9, dampening: 0.3), maximize: maximize, gradientNoise: noise, interleaved: true)
        try expectSameSteps(try Momentum(0.8, nesterov: true), maximize: maximize, gradientNoise: noise, interleaved: true)
        try expectSameSteps(try Momentum(0), maximize: maximize, gradientNoise: noise, interleaved: true)
        try expectSameSteps(try ScaleByAdam(beta1: 0.9, beta2: 0.99, epsilon: 1e-6), maximize: maximize,
                            learningRate: .exponential(initial: 0.01, factor: 0.9), gradientNoise: noise, interleaved: true)
    }

    /// The interleaved form is taken when the block asks for it and the rule has one (the scratch,
    /// filled with NaN, stays untouched), and not otherwise; both update θ.
    @Test func interleavedNoiseLeavesTheScratchAlone() throws {
        let count = UpdateBlock.size
        let layout = ParameterLayout.flat(count: count)
        let noise = GradientNoise(eta: 0.05, seed: 3)
        func run<T: GradientTransform, U: GradientTransform>(_ optimizer: ChainOptimizer<T, U>, interleaved: Bool)
            -> (scratchUntouched: Bool, moved: Bool) {
            var optimizer = optimizer
            var theta = Tensor(shape: [count], repeating: 1)
            try! optimizer.step(&theta, gradient: Tensor(shape: [count], repeating: 0.5)) // past the first step
            var state = optimizer.state.transform
            let plan = optimizer.transform.plan(&state, context: StepContext(step: 1, layout: layout, learningRate: 0.1,
                                                                             gradientNorm: 1))
            var parameters = [Float](repeating: 1, count: count)
            var scratch = [Float](repeating: .nan, count: count)
            let g = [Float](repeating: 0.5, count: count)
            let fused = parameters.withUnsafeMutableBufferPointer { t in
                scratch.withUnsafeMutableBufferPointer { s in
                    g.withUnsafeBufferPointer { g in
                        optimizer.transform.applyFused(plan, to: FusedBlock(range: 0..<count, gradient: g.baseAddress!,
                                                                           parameters: t.baseAddress!, alpha: 1, sign: 1,
                                                                           scratch: s.baseAddress!, interleavesPrelude: interleaved))
                    }
                }
            }
            #expect(fused)
            return (scratch.allSatisfy { $0.isNaN }, parameters.allSatisfy { $0 != 1 })
        }
        let momentum = try SGD(layout: layout, learningRate: 0.1, momentum: 0.9).withGradientNoise(noise)
        let plain = try SGD(layout: layout, learningRate: 0.1).withGradientNoise(noise)
        let adam = try Adam(layout: layout).withGradientNoise(noise)
        #expect(run(momentum, interleaved: true) == (true, true))
        #expect(run(plain, interleaved: true) == (true, true))
        #expect(run(momentum, interleaved: false) == (false, true))
        #expect(run(adam, interleaved: true) == (false, true), "Adam has no per-position form: the scratch path")
    }

    @Test func namedOptimizersFuseOnlyWhenOnePartActs() throws {
        let layout = ParameterLayout.flat(count: 10)
        // Without a scratch buffer, so a prelude (gradient noise) cannot fuse; see below for with.
        func fuses<T: GradientTransform, U: GradientTransform>(_ optimizer: ChainOptimizer<T, U>,
                                                               scratch: Bool = false) -> Bool {
            var state = optimizer.state.transform
            let plan = optimizer.transform.plan(&state, context: StepContext(step: 0, layout: optimizer.layout,
                                                                             learningRate: 0.1, gradientNorm: 1))
            var theta: [Float] = Array(repeating: 0, count: 10)
            var buffer: [Float] = Array(repeating: 0, count: 10)
            let g: [Float] = Array(repeating: 1, count: 10)
            return theta.withUnsafeMutableBufferPointer { t in
                buffer.withUnsafeMutableBufferPointer { b in
                    g.withUnsafeBufferPointer { g in
                        optimizer.transform.applyFused(plan, to: FusedBlock(range: 0..<10, gradient: g.baseAddress!,
                                                                           parameters: t.baseAddress!, alpha: 1, sign: 1,
                                                                           scratch: scratch ? b.baseAddress! : nil))
                    }
                }
            }
        }
        let noise = GradientNoise(eta: 0.01, seed: 1)
        let noisyMomentum = try SGD(layout: layout, learningRate: 0.1, momentum: 0.9).withGradientNoise(noise)
        let noisyAdam = try Adam(layout: layout).withGradientNoise(noise)
        let noisyAdamW = try AdamW(layout: layout, weightDecay: 0.01).withGradientNoise(noise)
        let clippedNoisyMomentum = try noisyMomentum.withClipping(.globalNorm(0.5))
        #expect(fuses(noisyMomentum, scratch: true))
        #expect(fuses(noisyAdam, scratch: true))
        #expect(fuses(noisyAdamW, scratch: true), "AdamW's decay folds into Adam's kernel, after the noise")
        #expect(!fuses(noisyAdamW), "without scratch the noise has nowhere to go")
        #expect(!fuses(clippedNoisyMomentum, scratch: true), "clipping and noise both act")
        #expect(fuses(try SGD(layout: layout, learningRate: 0.1)))
        #expect(fuses(try SGD(layout: layout, learningRate: 0.1, momentum: 0.9)))
        #expect(fuses(try SGD(layout: layout, learningRate: 0.1, momentum: 0.9)
            .withClipping(.globalNorm(5)))) // not clipping: ‖g‖ = 1
        #expect(fuses(try SGD(layout: layout, learningRate: 0.1, momentum: 0.9)
            .withGradientNoise(GradientNoise(eta: 0, seed: 1))))
        #expect(fuses(try Adam(layout: layout)))
        #expect(!fuses(try SGD(layout: layout, learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4)))
        #expect(!fuses(try SGD(layout: layout, learningRate: 0.1, momentum: 0.9)
            .withGradientNoise(GradientNoise(eta: 0.01, seed: 1))))
        #expect(fuses(try AdamW(layout: layout, weightDecay: 0.01)))
        // Decay on some segments only is not the one-pass kernel's: the general path.
        var twoSegments = ParameterLayout()
        twoSegments.append("weight", shape: [6])
        twoSegments.append("bias", shape: [4])
        #expect(!fuses(try AdamW(layout: twoSegments, weightDecay: 0.01, weightDecayFilter: .names(["weight"]))))
    }

    /// AdamW's one-pass kernel (Adam's direction d, then θ + α·(d + λθ)) against the general path's
    /// three links, with and without gradient noise before it, maximizing or not.
    @Test(arguments: [false, true])
    func adamWMatchesGeneralPath(maximize: Bool) throws {
        let rule = Chain(try ScaleByAdam(beta1: 0.9, beta2: 0.99, epsilon: 1e-6), try AddWeightDecay(0.05))
        try expectSameSteps(rule, maximize: maximize)
        try expectSameSteps(rule, maximize: maximize, learningRate: .exponential(initial: 0.01, factor: 0.9),
                            gradientNoise: GradientNoise(eta: 0.05, seed: 21))
    }
}
