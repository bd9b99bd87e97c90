import Testing
@testable import NoisyOptim

/// A tape kept across steps reuses its memory, without ever letting a caller see a later write.
@Suite struct TapeReuseTests {
    /// A two-layer network on a batch of `rows` rows.
    static func step(_ tape: Tape, _ layout: ParameterLayout, _ point: Tensor, rows: Int) -> (value: Float, gradient: Tensor) {
        let inputs = Tensor(shape: [rows, 6], scalars: (0..<(rows * 6)).map { Float($0 % 7) / 7 - 0.5 })
        let labels = (0..<rows).map { $0 % 3 }
        return tape.valueWithGradient(at: point, in: layout) { tape in
            let h = tanh(linear(tape.constant(inputs), weight: tape.parameter(named: "w1"), bias: tape.parameter(named: "b1")))
            let logits = linear(h, weight: tape.parameter(named: "w2"), bias: tape.parameter(named: "b2"))
            return softmaxCrossEntropy(logits: logits, labels: labels).mean()
        }
    }

    static func layout() -> ParameterLayout {
        var layout = ParameterLayout()
        layout.append("w1", shape: [6, 5], role: .weight)
        layout.append("b1", shape: [5], role: .bias)
        layout.append("w2", shape: [5, 3], role: .weight)
        layout.append("b2", shape: [3], role: .bias)
        return layout
    }

    @Test func steadyStateTakesNoNewArenaMemory() {
        let layout = TapeReuseTests.layout()
        let point = Tensor(shape: [layout.count], scalars: (0..<layout.count).map { Float($0 % 5) / 10 - 0.2 })
        let tape = Tape()
        _ = TapeReuseTests.step(tape, layout, point, rows: 4)
        let afterFirst = tape.arena.chunkAllocations
        for _ in 0..<5 { _ = TapeReuseTests.step(tape, layout, point, rows: 4) }
        #expect(tape.arena.chunkAllocations == afterFirst)
    }

    /// A recording that outgrows the arena chains chunks; the next reset merges them into one,
    /// after which that size runs without allocating.
    @Test func outgrownArenaSettlesAfterOneMerge() {
        let layout = TapeReuseTests.layout()
        let point = Tensor(shape: [layout.count], repeating: 0.1)
        let tape = Tape()
        _ = TapeReuseTests.step(tape, layout, point, rows: 2)
        let small = tape.arena.chunkAllocations
        _ = TapeReuseTests.step(tape, layout, point, rows: 700) // 700 rows need more than the first chunk
        #expect(tape.arena.chunkAllocations > small)
        _ = TapeReuseTests.step(tape, layout, point, rows: 700) // merges the chain into one chunk
        let settled = tape.arena.chunkAllocations
        for _ in 0..<3 { _ = TapeReuseTests.step(tape, layout, point, rows: 700) }
        #expect(tape.arena.chunkAllocations == settled)
    }

    @Test func droppedGradientBufferIsReused() {
        let layout = TapeReuseTests.layout()
        let point = Tensor(shape: [layout.count], repeating: 0.1)
        let tape = Tape()
        let first = TapeReuseTests.step(tape, layout, point, rows: 4).gradient.withUnsafeBufferPointer { $0.baseAddress }
        let second = TapeReuseTests.step(tape, layout, point, rows: 4).gradient.withUnsafeBufferPointer { $0.baseAddress }
        #expect(first == second)
    }

    @Test func heldGradientIsNeverOverwritten() {
        let layout = TapeReuseTests.layout()
        let tape = Tape()
        let kept = TapeReuseTests.step(tape, layout, Tensor(shape: [layout.count], repeating: 0.1), rows: 4).gradient
        let snapshot = kept.scalars
        let next = TapeReuseTests.step(tape, layout, Tensor(shape: [layout.count], repeating: -0.3), rows: 4).gradient
        #expect(kept.scalars == snapshot)
        #expect(next.scalars != snapshot)
    }

    /// After the call the tape lets go of the parameters, so an in-place update copies nothing.
    @Test func parametersAreReleasedAfterTheCall() {
        let layout = TapeReuseTests.layout()
        var point = Tensor(shape: [layout.count], repeating: 0.1)
        let tape = Tape()
        let gradient = TapeReuseTests.step(tape, layout, point, rows: 4).gradient
        #expect(isKnownUniquelyReferenced(&point.storage))
        let before = point.withUnsafeBufferPointer { $0.baseAddress }
        point -= gradient * 0.1
        #expect(point.withUnsafeBufferPointer { $0.baseAddress } == before)
    }

    /// Reusing a tape gives exactly the numbers a fresh tape gives.
    @Test func reuseDoesNotChangeResults() {
        let layout = TapeReuseTests.layout()
        let point = Tensor(shape: [layout.count], scalars: (0..<layout.count).map { Float($0 % 9) / 10 - 0.4 })
        let reused = Tape()
        _ = TapeReuseTests.step(reused, layout, point * 3, rows: 9)
        let a = TapeReuseTests.step(reused, layout, point, rows: 4)
        let b = TapeReuseTests.step(Tape(), layout, point, rows: 4)
        #expect(a.value == b.value)
        #expect(a.gradient == b.gradient)
    }
}
