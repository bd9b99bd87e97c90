// BlockMath: the element-wise SIMD passes a transform needs over one block, public so that a
// transform written outside the module runs the same vector loops as the module's own.

/// Vectorized element-wise passes over a block's buffers (`UpdateBlock.directionBuffer`,
/// `StepBuffer.slice(for:)`, a scratch buffer). Each is one SIMD loop of 16 lanes with a masked
/// tail; buffers of one call must have the same count.
public enum BlockMath {
    /// y ← y + a·x.
    public static func add(_ x: UnsafeBufferPointer<Float>, scaledBy a: Float = 1, to y: UnsafeMutableBufferPointer<Float>) {
        sameCount(x.count, y.count, "add")
        guard let xs = x.baseAddress, let ys = y.baseAddress else { return }
        let va = Vector(repeating: a)
        forEachLaneGroup(count: y.count) { i, lanes in storeLanes(loadLanes(ys + i, lanes) + va * loadLanes(xs + i, lanes), ys + i, lanes) }
    }

    /// y ← a·y.
    public static func scale(_ y: UnsafeMutableBufferPointer<Float>, by a: Float) {
        guard let ys = y.baseAddress else { return }
        Kernels.scale(ys, by: a, count: y.count)
    }

    /// y ← y ⊙ x.
    public static func multiply(_ y: UnsafeMutableBufferPointer<Float>, by x: UnsafeBufferPointer<Float>) {
        sameCount(x.count, y.count, "multiply")
        guard let xs = x.baseAddress, let ys = y.baseAddress else { return }
        forEachLaneGroup(count: y.count) { i, lanes in storeLanes(loadLanes(ys + i, lanes) * loadLanes(xs + i, lanes), ys + i, lanes) }
    }

    /// y ← b·y + a·x: an exponential moving average with b = β, a = 1 − β.
    public static func blend(_ y: UnsafeMutableBufferPointer<Float>, keeping b: Float, adding x: UnsafeBufferPointer<Float>,
                             scaledBy a: Float) {
        sameCount(x.count, y.count, "blend")
        guard let xs = x.baseAddress, let ys = y.baseAddress else { return }
        let vb = Vector(repeating: b), va = Vector(repeating: a)
        forEachLaneGroup(count: y.count) { i, lanes in
            storeLanes(vb * loadLanes(ys + i, lanes) + va * loadLanes(xs + i, lanes), ys + i, lanes)
        }
    }

    /// y ← y + a·x² (an accumulator of squared gradients).
    public static func addSquares(of x: UnsafeBufferPointer<Float>, scaledBy a: Float = 1, to y: UnsafeMutableBufferPointer<Float>) {
        sameCount(x.count, y.count, "addSquares")
        guard let xs = x.baseAddress, let ys = y.baseAddress else { return }
        let va = Vector(repeating: a)
        forEachLaneGroup(count: y.count) { i, lanes in
            let v = loadLanes(xs + i, lanes)
            storeLanes(loadLanes(ys + i, lanes) + va * (v * v), ys + i, lanes)
        }
    }

    /// y ← y / (√|x| + ε): adaptive scaling by a second-moment estimate x ≥ 0.
    public static func divide(_ y: UnsafeMutableBufferPointer<Float>, bySquareRootOf x: UnsafeBufferPointer<Float>,
                              plus epsilon: Float) {
        sameCount(x.count, y.count, "divide")
        guard let xs = x.baseAddress, let ys = y.baseAddress else { return }
        let e = Vector(repeating: epsilon)
        forEachLaneGroup(count: y.count) { i, lanes in
            storeLanes(loadLanes(ys + i, lanes) / (SIMDMath.magnitudeSquareRoot(loadLanes(xs + i, lanes)) + e), ys + i, lanes)
        }
    }

    /// y ← √|y| element by element.
    public static func squareRoot(_ y: UnsafeMutableBufferPointer<Float>) {
        guard let ys = y.baseAddress else { return }
        forEachLaneGroup(count: y.count) { i, lanes in storeLanes(SIMDMath.magnitudeSquareRoot(loadLanes(ys + i, lanes)), ys + i, lanes) }
    }

    private static func sameCount(_ a: Int, _ b: Int, _ operation: String) {
        check(a == b, "BlockMath.\(operation): buffers of \(a) and \(b) scalars")
    }
}
