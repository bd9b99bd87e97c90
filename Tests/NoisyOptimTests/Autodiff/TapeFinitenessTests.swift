import Testing
@testable import NoisyOptim

/// The tape checks each parameter segment's gradient for NaN and ±∞ as backward finishes it and
/// flags the flat gradient only when every segment is finite; the step then skips its own read.
/// Whatever the path, a non-finite gradient is refused with parameters and state bit-identical.
@Suite struct TapeFinitenessTests {
    /// Five segments, read in an order unlike the layout's: "shared" by two ops (first a square,
    /// later a product, so the later op's contribution is pulled back first), "dead" read but off
    /// the root's path, "unused" never read. A non-finite value in `constants[name]` puts one in
    /// that segment's gradient: ∂/∂θ of Σ c·θ is c.
    struct Problem {
        var layout = ParameterLayout()
        let point: Tensor
        var constants: [String: Tensor] = [:]

        static let sizes = [("first", 3), ("shared", 20), ("middle", 37), ("dead", 5), ("last", 2), ("unused", 4)]

        init() {
            for (name, size) in Problem.sizes { layout.append(name, shape: [size]) }
            var generator = TestGenerator(seed: 31)
            point = Tensor(shape: [layout.count], scalars: generator.floats(layout.count))
            for (name, size) in Problem.sizes { constants[name] = Tensor(shape: [size], scalars: generator.floats(size)) }
        }

        func loss(_ tape: Tape, deadIsReached: Bool = false) -> Variable {
            func term(_ name: String) -> Variable { (tape.parameter(named: name) * tape.constant(constants[name]!)).sum() }
            let middle = term("middle")
            let last = term("last")
            let sharedSquare = square(tape.parameter(named: "shared")).sum()
            let dead = term("dead")
            let first = term("first")
            let sharedProduct = term("shared")
            let loss = middle + last + sharedSquare + first + sharedProduct
            return deadIsReached ? loss + dead : loss
        }

        func gradient(_ tape: Tape, deadIsReached: Bool = false) -> Tensor {
            tape.valueWithGradient(at: point, in: layout) { loss($0, deadIsReached: deadIsReached) }.gradient
        }

        func with(_ value: Float, in name: String, at position: Int = 0) -> Problem {
            var copy = self
            copy.constants[name]![position] = value
            return copy
        }
    }

    static let bad: [Float] = [.nan, .infinity, -.infinity]

    @Test func finiteTapeGradientIsFlagged() {
        let problem = Problem()
        let g = problem.gradient(Tape())
        #expect(g.isKnownFinite)
        #expect(g.scalars.allSatisfy { $0.isFinite })
        // The unread and unreached segments are zeros, as before.
        #expect(g.slice(problem.layout.segment(named: "unused")!).scalars == [0, 0, 0, 0])
        #expect(g.slice(problem.layout.segment(named: "dead")!).scalars == [0, 0, 0, 0, 0])
    }

    /// A non-finite value in any one reached segment, at either end of it: not flagged (and the
    /// value is really there).
    @Test(arguments: ["first", "shared", "middle", "last", "dead"], bad)
    func nonFiniteSegmentIsNotFlagged(name: String, value: Float) {
        let size = Problem.sizes.first { $0.0 == name }!.1
        for position in [0, size - 1] {
            let problem = Problem().with(value, in: name, at: position)
            let g = problem.gradient(Tape(), deadIsReached: name == "dead")
            #expect(!g.isKnownFinite, "\(value) at \(name)[\(position)]")
            let offset = problem.layout.segment(named: name)!.offset
            #expect(!g[offset + position].isFinite)
        }
    }

    /// The shared segment's later use (pulled back first) and its first use (which finishes it)
    /// each alone make it non-finite.
    @Test func eitherUseOfASharedSegmentIsSeen() {
        var tape = Tape()
        // The product's contribution is c: a NaN there comes from the later op.
        #expect(!Problem().with(.nan, in: "shared", at: 5).gradient(tape).isKnownFinite)
        // The square's contribution is 2θ: an infinite parameter comes from the first op (the
        // product's contribution c is finite).
        let problem = Problem()
        var point = problem.point
        point[problem.layout.segment(named: "shared")!.offset + 5] = .infinity
        tape = Tape()
        let g = tape.valueWithGradient(at: point, in: problem.layout) { problem.loss($0) }.gradient
        #expect(!g.isKnownFinite && !g[problem.layout.segment(named: "shared")!.offset + 5].isFinite)
    }

    /// Off the root's path the segment's gradient is zero whatever its values or constants:
    /// finite, so flagged.
    @Test func unreachedAndUnusedSegmentsAreZeroAndFinite() {
        var problem = Problem().with(.nan, in: "dead")
        problem.constants["unused"]![0] = .nan // never read at all
        var point = problem.point
        point[problem.layout.segment(named: "dead")!.offset] = .nan
        let g = Tape().valueWithGradient(at: point, in: problem.layout) { problem.loss($0) }.gradient
        #expect(g.isKnownFinite)
        #expect(g.slice(problem.layout.segment(named: "dead")!).scalars == [0, 0, 0, 0, 0])
    }

    /// The flat buffer is reused across calls: a flag from one call never describes the next
    /// call's values, and the zero-fill of an unreached segment clears a stale NaN in it.
    @Test func reusedBufferCarriesNoStaleFlag() {
        let problem = Problem(), tape = Tape()
        let nan = problem.with(.nan, in: "dead")
        var address: UnsafePointer<Float>?
        for (round, (source, reached, finite)) in [(problem, false, true), (nan, true, false), (nan, false, true),
                                                   (nan, true, false), (problem, true, true)].enumerated() {
            let g = source.gradient(tape, deadIsReached: reached)
            #expect(g.isKnownFinite == finite, "round \(round)")
            #expect(g.scalars.allSatisfy { $0.isFinite } == finite, "round \(round)")
            let base = g.withUnsafeBufferPointer { $0.baseAddress }
            if let address { #expect(base == address, "the buffer was reused") }
            address = base
        }
    }

    /// A caller still holding a flagged gradient gets a new buffer for the next call; its own
    /// scalars and flag stay as they were.
    @Test func heldGradientKeepsItsFlagWhenTheNextCallIsNotFinite() {
        let problem = Problem(), tape = Tape()
        let held = problem.gradient(tape)
        let scalars = held.scalars
        let next = problem.with(.infinity, in: "middle").gradient(tape)
        #expect(held.isKnownFinite && held.scalars == scalars)
        #expect(!next.isKnownFinite)
        #expect(held.storage !== next.storage)
    }

    /// A root that is itself a parameter leaf has no reader to finish it: its gradient is the
    /// seed, checked after the loop.
    @Test func rootThatIsAParameterIsChecked() {
        var layout = ParameterLayout()
        let w = layout.append("w", shape: [3])
        layout.append("rest", shape: [2])
        for (seed, finite) in [(Tensor([1, 2, 3]), true), (Tensor([1, .nan, 3]), false), (Tensor([.infinity, 0, 0]), false)] {
            let tape = Tape()
            tape.beginRecording(parameters: Tensor(shape: [5], repeating: 1), layout: layout)
            let v = tape.parameter(w)
            _ = (v * 2).sum() // a reader after the root: never runs
            tape.backward(from: v, seed: seed)
            #expect(tape.flatGradient.isKnownFinite == finite)
            #expect(Array(tape.flatGradient.scalars.prefix(3)).map(\.bitPattern) == seed.scalars.map(\.bitPattern))
            tape.endRecording()
        }
    }

    /// A non-finite tape gradient is refused with θ and the state bit-identical, under both
    /// refusing policies, for momentum and Adam (the warm-up steps leave "dead" off the path).
    @Test(arguments: ["first", "shared", "middle", "last", "dead"], bad)
    func stepRefusesNonFiniteTapeGradient(name: String, value: Float) throws {
        let problem = Problem()
        for policy in [NonFiniteGradientPolicy.throwError, .skipStep] {
            try expectRefused(problem, bad: problem.with(value, in: name, at: 1),
                              try SGD(layout: problem.layout, learningRate: 0.1, momentum: 0.9).withNonFiniteGradientPolicy(policy))
            try expectRefused(problem, bad: problem.with(value, in: name, at: 1),
                              try Adam(layout: problem.layout, learningRate: 0.01).withNonFiniteGradientPolicy(policy))
        }
    }

    private func expectRefused<R, U>(_ problem: Problem, bad: Problem, _ optimizer: ChainOptimizer<R, U>,
                                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        var optimizer = optimizer
        let tape = Tape()
        var theta = problem.point
        for _ in 0..<2 {
            let (_, g) = tape.valueWithGradient(at: theta, in: problem.layout) { problem.loss($0) }
            #expect(g.isKnownFinite, sourceLocation: sourceLocation)
            try optimizer.step(&theta, gradient: g)
        }
        let stateBefore = optimizer.state, thetaBefore = theta.scalars.map(\.bitPattern)
        // "dead" is reached here, by the bad step's loss only.
        let (_, g) = tape.valueWithGradient(at: theta, in: problem.layout) { bad.loss($0, deadIsReached: true) }
        #expect(!g.isKnownFinite, sourceLocation: sourceLocation)
        if optimizer.nonFiniteGradientPolicy == .throwError {
            #expect(throws: OptimizerError.nonFiniteGradient(step: 2, count: 1), sourceLocation: sourceLocation) {
                try optimizer.step(&theta, gradient: g)
            }
        } else {
            #expect(try optimizer.step(&theta, gradient: g) == StepReport(applied: false), sourceLocation: sourceLocation)
        }
        #expect(optimizer.state == stateBefore, sourceLocation: sourceLocation)
        #expect(theta.scalars.map(\.bitPattern) == thetaBefore, sourceLocation: sourceLocation)
    }

    /// The step trusts the flag: a flag set by hand on a gradient that is not finite lets the NaN
    /// through when nothing else reads the gradient (which shows the read is really skipped), and
    /// is caught when global-norm clipping reads it anyway.
    @Test func stepSkipsItsReadOnlyForAFlaggedGradient() throws {
        let layout = ParameterLayout.flat(count: 100)
        var g = Tensor(shape: [100], repeating: 0.5)
        g[40] = .nan
        g.storage.knownFinite = true // a lie no code in the module tells
        var sgd = try SGD(layout: layout, learningRate: 0.1, momentum: 0.9)
        var theta = Tensor(shape: [100], repeating: 1)
        try sgd.step(&theta, gradient: g)
        #expect(theta[40].isNaN && sgd.stepCount == 1)
        var clipped = try SGD(layout: layout, learningRate: 0.1).withClipping(.globalNorm(1))
        theta = Tensor(shape: [100], repeating: 1)
        #expect(throws: OptimizerError.nonFiniteGradient(step: 0, count: 1)) { try clipped.step(&theta, gradient: g) }
    }

    /// Writing to a flagged tape gradient forgets the flag, so a NaN written into it is refused:
    /// in place when the caller holds the only reference (a fresh tape that is gone), and in the
    /// copy when the tape that produced it still holds its buffer.
    @Test(arguments: [false, true])
    func nanWrittenIntoATapeGradientIsRefused(tapeHoldsTheBuffer: Bool) throws {
        let problem = Problem()
        let tape = Tape()
        for write in 0..<3 {
            var g = tapeHoldsTheBuffer
                ? problem.gradient(tape)
                : valueWithGradient(at: problem.point, in: problem.layout) { problem.loss($0) }.gradient
            #expect(g.isKnownFinite)
            let before = g.withUnsafeBufferPointer { $0.baseAddress } // no reference kept
            switch write {
            case 0: g[10] = .nan
            case 1: g.withUnsafeMutableBufferPointer { $0[$0.count - 1] = .infinity }
            default: g += Tensor(shape: [problem.layout.count], repeating: .nan)
            }
            #expect((g.withUnsafeBufferPointer { $0.baseAddress } == before) == !tapeHoldsTheBuffer, "in place unless shared")
            #expect(!g.isKnownFinite)
            var sgd = try SGD(layout: problem.layout, learningRate: 0.1)
            var theta = problem.point
            #expect(throws: OptimizerError.self) { try sgd.step(&theta, gradient: g) }
            #expect(theta.scalars.map(\.bitPattern) == problem.point.scalars.map(\.bitPattern))
        }
    }

    /// Parameters after 25 steps are bit-identical whether the step trusts the tape's flag or
    /// checks a copy of the same gradient itself; for momentum, Adam and clipped Adam, through
    /// `step(_:objective:)` and `step(_:gradient:)`.
    @Test(arguments: ["momentum", "adam", "clipped adam"])
    func resultsAreIdenticalWithAndWithoutTheFlag(rule: String) throws {
        let model = MLP(sizes: [5, 8, 3], activation: .tanh)
        var generator = TestGenerator(seed: 3)
        let inputs = Tensor(shape: [30, 5], scalars: generator.floats(150))
        let labels = (0..<30).map { $0 % 3 }
        func make() throws -> any Optimizer {
            switch rule {
            case "momentum": return try SGD(layout: model.layout, learningRate: 0.05, momentum: 0.9)
            case "adam": return try Adam(layout: model.layout, learningRate: 0.01)
            default: return try Adam(layout: model.layout, learningRate: 0.01).withClipping(.globalNorm(0.5))
            }
        }
        let objective = model.objective(inputs: inputs, labels: labels)
        let all = SampleWeights(exampleCount: 30, indices: Array(0..<30), weights: [Float](repeating: 1.0 / 30, count: 30))
        var flagged = try make(), copied = try make(), closure = try make()
        var a = model.initialParameters(seed: 4), b = a, c = a
        for _ in 0..<25 {
            let (_, g) = try objective(a, all)
            #expect(g.isKnownFinite)
            try flagged.step(&a, gradient: g)
            let (_, h) = try objective(b, all)
            let copy = Tensor(shape: h.shape, scalars: h.scalars)
            #expect(!copy.isKnownFinite)
            try copied.step(&b, gradient: copy)
            try closure.step(&c, objective: { point, _ in try objective(point, all) })
        }
        #expect(a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern))
        #expect(a.scalars.map(\.bitPattern) == c.scalars.map(\.bitPattern))
    }
}
