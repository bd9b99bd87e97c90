import Testing
@testable import NoisyOptim

/// The known-finite flag a tensor's storage carries (set by the tape for the gradients it checked)
/// never outlives a write: every way to change the scalars forgets it, and copy-on-write keeps it
/// with the storage whose scalars it describes.
@Suite struct KnownFiniteTensorTests {
    /// A finite tensor flagged as a producer that checked it would flag it.
    static func flagged(_ count: Int = 40) -> Tensor {
        let t = Tensor(shape: [count], scalars: (0..<count).map { Float($0) / 8 })
        t.storage.knownFinite = true
        return t
    }

    @Test func newTensorsAreNotKnownFinite() {
        #expect(!Tensor.zeros([4]).isKnownFinite)
        #expect(!Tensor(shape: [2], scalars: [1, 2]).isKnownFinite)
        #expect(!Tensor(shape: [3], repeating: 1).isKnownFinite)
        #expect(!(Tensor([1, 2]) + Tensor([3, 4])).isKnownFinite)
    }

    @Test func subscriptWriteForgetsTheFlag() {
        var g = KnownFiniteTensorTests.flagged()
        #expect(g.isKnownFinite)
        g[7] = .nan
        #expect(!g.isKnownFinite)
    }

    @Test func mutableBufferPointerForgetsTheFlag() {
        var g = KnownFiniteTensorTests.flagged()
        g.withUnsafeMutableBufferPointer { $0[39] = .infinity }
        #expect(!g.isKnownFinite)
        // Even a body that writes nothing: the flag cannot know.
        var h = KnownFiniteTensorTests.flagged()
        h.withUnsafeMutableBufferPointer { _ in }
        #expect(!h.isKnownFinite)
    }

    @Test func inPlaceOperatorsForgetTheFlag() {
        var g = KnownFiniteTensorTests.flagged()
        g += Tensor(shape: [40], repeating: .infinity)
        #expect(!g.isKnownFinite)
        var h = KnownFiniteTensorTests.flagged()
        h *= 0
        #expect(!h.isKnownFinite)
    }

    @Test func setSliceForgetsTheFlag() {
        var layout = ParameterLayout()
        let a = layout.append("a", shape: [30])
        layout.append("b", shape: [10])
        var g = KnownFiniteTensorTests.flagged()
        g.setSlice(a, to: Tensor(shape: [30], repeating: .nan))
        #expect(!g.isKnownFinite)
    }

    /// Writing a copy of a flagged tensor copies first: the copy is unflagged and holds the NaN,
    /// the original keeps its flag and its scalars.
    @Test func writingACopyLeavesTheOriginalFlagged() {
        let g = KnownFiniteTensorTests.flagged()
        var copy = g
        copy[0] = .nan
        #expect(g.isKnownFinite && !copy.isKnownFinite)
        #expect(g[0] == 0 && copy[0].isNaN)
        #expect(g.storage !== copy.storage)
    }

    /// Writing the original while a copy is held: the copy keeps the flag (its scalars are the
    /// checked ones), the written original does not.
    @Test func writingTheOriginalWhileACopyIsHeldLeavesTheCopyFlagged() {
        var g = KnownFiniteTensorTests.flagged()
        let kept = g
        g[3] = -.infinity
        #expect(kept.isKnownFinite && kept[3] == 3.0 / 8)
        #expect(!g.isKnownFinite)
    }

    /// A reshaped tensor shares the scalars, and so the fact about them.
    @Test func reshapedTensorSharesTheFlag() {
        let g = KnownFiniteTensorTests.flagged()
        var r = g.reshaped(to: [4, 10])
        #expect(r.isKnownFinite)
        r[0, 0] = .nan
        #expect(!r.isKnownFinite && g.isKnownFinite)
    }

    @Test(arguments: [1, 15, 16, 17, 63, 64, 65, 1000, 131_072, 131_073, 400_000])
    func allFiniteMatchesTheScalarLoop(count: Int) {
        var x = [Float](repeating: 0.5, count: count)
        x.withUnsafeBufferPointer { #expect(Kernels.allFinite($0.baseAddress!, count: count)) }
        for position in Set([0, count / 2, count - 1]) {
            for bad in [Float.nan, .infinity, -.infinity] {
                x[position] = bad
                x.withUnsafeBufferPointer { #expect(!Kernels.allFinite($0.baseAddress!, count: count), "\(bad) at \(position)") }
                x[position] = .greatestFiniteMagnitude // large but finite: not counted
                x.withUnsafeBufferPointer { #expect(Kernels.allFinite($0.baseAddress!, count: count)) }
            }
        }
    }

    /// The four-stream probe against the scalar loop at sizes around its quarters (64 scalars make
    /// one 16-lane row per stream), with one bad value at every position: in each stream, at the
    /// stream boundaries and in the tail the streams leave.
    @Test(arguments: [0, 1, 7, 8, 9, 63, 64, 65, 127, 128, 129, 200, 1023])
    func streamedProbeFindsABadValueAtEveryPosition(count: Int) {
        var x = [Float](repeating: -0.25, count: count)
        x.withUnsafeBufferPointer { #expect(Kernels.streamedFiniteProbe($0.baseAddress!, count: count) == 0) }
        for position in 0..<count {
            x[position] = position % 2 == 0 ? .nan : -.infinity
            x.withUnsafeBufferPointer { #expect(Kernels.streamedFiniteProbe($0.baseAddress!, count: count).isNaN, "bad at \(position) of \(count)") }
            x[position] = -.greatestFiniteMagnitude
            x.withUnsafeBufferPointer { #expect(Kernels.streamedFiniteProbe($0.baseAddress!, count: count) == 0) }
            x[position] = -0.25
        }
    }

    /// Split over threads, each thread's stretch in four streams: a bad value at the first and
    /// last scalar of every stretch, on both sides of each quarter boundary, and in the tail the
    /// quarters leave, is found at one thread and at two. The stretches are worked out as
    /// `allFinite` splits them (whole reduction blocks, `Parallel.forEachChunk`'s halves), so the
    /// positions are the real boundaries of both splits.
    @Test func allFiniteFindsABadValueInEveryStretchAtOneAndTwoThreads() {
        let count = 3 * (1 << 17) + 5, saved = Parallelism.maximumThreadCount
        defer { Parallelism.maximumThreadCount = saved }
        var x = [Float](repeating: 1, count: count)
        let blocks = (count + reductionBlock - 1) / reductionBlock
        let split = blocks / 2 * reductionBlock
        var positions = Set<Int>()
        for stretch in [0..<count, 0..<split, split..<count] {
            let quarter = stretch.count / 64 * 16
            positions.formUnion([stretch.lowerBound, stretch.upperBound - 1])
            for k in 1...4 { positions.formUnion([stretch.lowerBound + k * quarter - 1, stretch.lowerBound + k * quarter]) }
        }
        for threads in [1, 2] {
            Parallelism.maximumThreadCount = threads
            x.withUnsafeBufferPointer { #expect(Kernels.allFinite($0.baseAddress!, count: count)) }
            for position in positions.sorted() where position < count {
                x[position] = .infinity
                x.withUnsafeBufferPointer { #expect(!Kernels.allFinite($0.baseAddress!, count: count), "∞ at \(position), \(threads) threads") }
                x[position] = 1
            }
        }
    }
}
