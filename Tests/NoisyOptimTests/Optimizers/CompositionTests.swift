import Testing
@testable import NoisyOptim

/// Named optimizers are short chains: building the chain by hand gives the same steps, bit for bit.
@Suite struct CompositionTests {
    @Test func handBuiltChainEqualsNamedSGD() throws {
        let count = 4100
        var random = TestGenerator(seed: 2)
        var layout = ParameterLayout()
        layout.append("w", shape: [4000], role: .weight)
        layout.append("b", shape: [100], role: .bias)
        let noise = GradientNoise(eta: .exponential(initial: 0.1, factor: 0.9), gamma: 0.55, seed: 6)
        var named = try SGD(layout: layout, learningRate: .cosine(initial: 0.1, totalSteps: 10), momentum: 0.9,
                            nesterov: true, weightDecay: 0.01, weightDecayFilter: .excludingBiases)
            .withClipping(.globalNorm(2))
            .withGradientNoise(noise)
        var composed = try ChainOptimizer(
            layout: layout,
            rule: chain(try AddWeightDecay(0.01, filter: .roles([.weight])), try Momentum(0.9, nesterov: true)),
            learningRate: .cosine(initial: 0.1, totalSteps: 10))
            .withClipping(.globalNorm(2))
            .withGradientNoise(noise)
        var a = Tensor(random.floats(count)), b = a
        for _ in 0..<5 {
            let g = Tensor(random.floats(count))
            try named.step(&a, gradient: g)
            try composed.step(&b, gradient: g)
        }
        #expect(a == b)
    }

    @Test func identityChainIsGradientDescent() throws {
        var gd = try ChainOptimizer(layout: .flat(count: 3), rule: Identity(), learningRate: 0.5)
        var theta = Tensor([1, 2, 3])
        try gd.step(&theta, gradient: Tensor([2, 2, -2]))
        #expect(theta.scalars == [0, 1, 4])
    }

    @Test func weightDecayFilterSelectsSegmentsByName() throws {
        var layout = ParameterLayout()
        layout.append("embedding", shape: [3])
        layout.append("head", shape: [2])
        // λ = 1, lr = 1, g = 0: decayed segments go to 0, the others stay.
        var sgd = try SGD(layout: layout, learningRate: 1, weightDecay: 1, weightDecayFilter: .excludingNames(["embedding"]))
        var theta = Tensor([1, 2, 3, 4, 5])
        try sgd.step(&theta, gradient: .zeros([5]))
        #expect(theta.scalars == [1, 2, 3, 0, 0])
        #expect(ParameterFilter.names(["embedding", "head"]).ranges(in: layout) == [0..<5])
        #expect(ParameterFilter.roles([.bias]).ranges(in: layout).isEmpty)
    }

    @Test func blocksSeeTheRightSubrangesOfSegments() {
        let block = UpdateBlock(index: 1, range: 2048..<4096, direction: UnsafeMutablePointer(bitPattern: 64)!,
                                parameters: UnsafePointer(bitPattern: 64)!)
        var seen: [Range<Int>] = []
        block.forEachSubrange(in: [0..<100, 2000..<2100, 3000..<3001, 4095..<5000, 6000..<7000]) { seen.append($0..<($0 + $1)) }
        #expect(seen == [0..<52, 952..<953, 2047..<2048])
    }
}
