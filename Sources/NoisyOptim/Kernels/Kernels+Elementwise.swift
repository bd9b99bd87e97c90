// Kernels+Elementwise: unary maps and binary zips over contiguous buffers, 16 lanes at a time.
// A tail shorter than a vector goes through the same vector code on a padded copy, so every
// element is computed by the same instructions wherever it sits.

enum Kernels {
    /// Below this many elements a kernel runs on the calling thread: splitting costs ~5–10 µs.
    static let parallelThreshold = 1 << 17
}

/// A lane-wise function of one vector.
protocol UnaryKernel { static func apply(_ x: Vector) -> Vector }

/// A lane-wise function of two vectors.
protocol BinaryKernel { static func apply(_ a: Vector, _ b: Vector) -> Vector }

@inline(__always)
func loadVector(_ pointer: UnsafePointer<Float>) -> Vector {
    UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
}

@inline(__always)
func storeVector(_ vector: Vector, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: vector, as: Vector.self)
}

/// Loads the first `count` (< 16) scalars into a vector padded with `padding`.
///
/// The bytes are copied into the vector's stack slot in at most four fixed-size moves (8, 4, 2
/// and 1 floats, by the bits of `count`), not inserted lane by lane: a variable lane index keeps
/// the whole SIMD16 in memory and reloads it after every scalar store, which made an 8-element
/// tape op cost ~0.5 µs (most of it in these tails); `memcpy` for the variable size cost a call.
@inline(__always)
func loadPartialVector(_ pointer: UnsafePointer<Float>, count: Int, padding: Float = 0) -> Vector {
    var vector = Vector(repeating: padding)
    withUnsafeMutableBytes(of: &vector) { copyFewFloats(from: UnsafeRawPointer(pointer), to: $0.baseAddress!, count: count) }
    return vector
}

/// Stores the first `count` (< 16) lanes of `vector` (see `loadPartialVector`).
@inline(__always)
func storePartialVector(_ vector: Vector, _ pointer: UnsafeMutablePointer<Float>, count: Int) {
    withUnsafeBytes(of: vector) { copyFewFloats(from: $0.baseAddress!, to: UnsafeMutableRawPointer(pointer), count: count) }
}

/// Copies `count` < 16 floats as the binary digits of `count` say: 8, 4, 2, then 1 at a time.
@inline(__always)
private func copyFewFloats(from source: UnsafeRawPointer, to destination: UnsafeMutableRawPointer, count: Int) {
    var offset = 0
    if count & 8 != 0 {
        destination.storeBytes(of: source.loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
        offset = 32
    }
    if count & 4 != 0 {
        destination.storeBytes(of: source.loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self),
                               toByteOffset: offset, as: SIMD4<Float>.self)
        offset += 16
    }
    if count & 2 != 0 {
        destination.storeBytes(of: source.loadUnaligned(fromByteOffset: offset, as: UInt64.self), toByteOffset: offset, as: UInt64.self)
        offset += 8
    }
    if count & 1 != 0 {
        destination.storeBytes(of: source.loadUnaligned(fromByteOffset: offset, as: UInt32.self), toByteOffset: offset, as: UInt32.self)
    }
}

extension Kernels {
    /// out[i] = K(x[i]) for i < count. `out` may equal `x`.
    static func map<K: UnaryKernel>(_: K.Type, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forEachChunk(count: count, minimumChunk: parallelThreshold) { range in
            var i = range.lowerBound
            let end = range.upperBound
            while i + 16 <= end {
                storeVector(K.apply(loadVector(x + i)), out + i)
                i += 16
            }
            if i < end {
                storePartialVector(K.apply(loadPartialVector(x + i, count: end - i)), out + i, count: end - i)
            }
        }
    }

    /// out[i] = K(a[i·aStride], b[i·bStride]) for i < count, where each stride is 1 (a vector) or
    /// 0 (a scalar repeated). `out` may equal `a` or `b`.
    static func zip<K: BinaryKernel>(
        _: K.Type, _ a: UnsafePointer<Float>, aStride: Int, _ b: UnsafePointer<Float>, bStride: Int,
        _ out: UnsafeMutablePointer<Float>, count: Int
    ) {
        Parallel.forEachChunk(count: count, minimumChunk: parallelThreshold) { range in
            zipRange(K.self, a, aStride: aStride, b, bStride: bStride, out, range: range)
        }
    }

    /// The single-threaded body of `zip`, also used by broadcasting loops that split work themselves.
    @inline(__always)
    static func zipRange<K: BinaryKernel>(
        _: K.Type, _ a: UnsafePointer<Float>, aStride: Int, _ b: UnsafePointer<Float>, bStride: Int,
        _ out: UnsafeMutablePointer<Float>, range: Range<Int>
    ) {
        zipRange(K.self, a, aStride: aStride, b, bStride: bStride, out, range: range, storing: Overwrite.self)
    }

    /// out[i] = K(a[i·aStride], b[i·bStride]), or out[i] += that, as `S` says, for i in `range`.
    /// One loop for both, so a gradient's first contribution (written) and later ones (added)
    /// round exactly alike.
    static func zipRange<K: BinaryKernel, S: ZipStore>(
        _: K.Type, _ a: UnsafePointer<Float>, aStride: Int, _ b: UnsafePointer<Float>, bStride: Int,
        _ out: UnsafeMutablePointer<Float>, range: Range<Int>, storing _: S.Type
    ) {
        var i = range.lowerBound
        let end = range.upperBound
        switch (aStride, bStride) {
        case (1, 1):
            while i + 16 <= end {
                S.store(K.apply(loadVector(a + i), loadVector(b + i)), out + i)
                i += 16
            }
            if i < end {
                let n = end - i
                S.storePartial(K.apply(loadPartialVector(a + i, count: n), loadPartialVector(b + i, count: n)), out + i, count: n)
            }
        case (1, 0):
            let s = Vector(repeating: b[0])
            while i + 16 <= end {
                S.store(K.apply(loadVector(a + i), s), out + i)
                i += 16
            }
            if i < end {
                S.storePartial(K.apply(loadPartialVector(a + i, count: end - i), s), out + i, count: end - i)
            }
        case (0, 1):
            let s = Vector(repeating: a[0])
            while i + 16 <= end {
                S.store(K.apply(s, loadVector(b + i)), out + i)
                i += 16
            }
            if i < end {
                S.storePartial(K.apply(s, loadPartialVector(b + i, count: end - i)), out + i, count: end - i)
            }
        default:
            let value = Vector(repeating: K.apply(Vector(repeating: a[0]), Vector(repeating: b[0]))[0])
            while i + 16 <= end {
                S.store(value, out + i)
                i += 16
            }
            if i < end { S.storePartial(value, out + i, count: end - i) }
        }
    }
}

/// How a zip puts its results into `out`.
protocol ZipStore {
    static func store(_ vector: Vector, _ pointer: UnsafeMutablePointer<Float>)
    static func storePartial(_ vector: Vector, _ pointer: UnsafeMutablePointer<Float>, count: Int)
}

/// out = result.
enum Overwrite: ZipStore {
    @inline(__always) static func store(_ vector: Vector, _ pointer: UnsafeMutablePointer<Float>) {
        storeVector(vector, pointer)
    }
    @inline(__always) static func storePartial(_ vector: Vector, _ pointer: UnsafeMutablePointer<Float>, count: Int) {
        storePartialVector(vector, pointer, count: count)
    }
}

/// out += result: how a pullback adds a later contribution to a gradient.
enum Accumulate: ZipStore {
    @inline(__always) static func store(_ vector: Vector, _ pointer: UnsafeMutablePointer<Float>) {
        storeVector(loadVector(pointer) + vector, pointer)
    }
    @inline(__always) static func storePartial(_ vector: Vector, _ pointer: UnsafeMutablePointer<Float>, count: Int) {
        storePartialVector(loadPartialVector(pointer, count: count) + vector, pointer, count: count)
    }
}

// MARK: - The kernels

enum AddKernel: BinaryKernel {
    @inline(__always) static func apply(_ a: Vector, _ b: Vector) -> Vector { a + b }
}
enum SubtractKernel: BinaryKernel {
    @inline(__always) static func apply(_ a: Vector, _ b: Vector) -> Vector { a - b }
}
enum MultiplyKernel: BinaryKernel {
    @inline(__always) static func apply(_ a: Vector, _ b: Vector) -> Vector { a * b }
}
enum DivideKernel: BinaryKernel {
    @inline(__always) static func apply(_ a: Vector, _ b: Vector) -> Vector { a / b }
}
enum MaximumKernel: BinaryKernel {
    // NaN in either operand gives NaN, as in PyTorch's maximum.
    @inline(__always) static func apply(_ a: Vector, _ b: Vector) -> Vector {
        var m = a.replacing(with: b, where: b .> a)
        m.replace(with: .nan, where: (a .!= a) .| (b .!= b))
        return m
    }
}
enum MinimumKernel: BinaryKernel {
    @inline(__always) static func apply(_ a: Vector, _ b: Vector) -> Vector {
        var m = a.replacing(with: b, where: b .< a)
        m.replace(with: .nan, where: (a .!= a) .| (b .!= b))
        return m
    }
}

enum NegateKernel: UnaryKernel {
    @inline(__always) static func apply(_ x: Vector) -> Vector { -x }
}
enum AbsKernel: UnaryKernel {
    @inline(__always) static func apply(_ x: Vector) -> Vector {
        Vector(bitPattern: x.bitPattern & 0x7FFF_FFFF)
    }
}
enum SignKernel: UnaryKernel {
    // sign(0) = 0 and sign(NaN) = NaN.
    @inline(__always) static func apply(_ x: Vector) -> Vector {
        var s = Vector(repeating: 0)
        s.replace(with: 1, where: x .> 0)
        s.replace(with: -1, where: x .< 0)
        return s.replacing(with: x, where: x .!= x)
    }
}
enum SquareKernel: UnaryKernel {
    @inline(__always) static func apply(_ x: Vector) -> Vector { x * x }
}
enum SquareRootKernel: UnaryKernel {
    // √|x| compiles to one sqrtps; negative lanes get their NaN back explicitly.
    @inline(__always) static func apply(_ x: Vector) -> Vector {
        SIMDMath.magnitudeSquareRoot(x).replacing(with: .nan, where: x .< 0)
    }
}
enum ReLUKernel: UnaryKernel {
    // max(x, 0) that keeps NaN, so a diverging model shows NaN instead of silent zeros.
    @inline(__always) static func apply(_ x: Vector) -> Vector { x.replacing(with: 0, where: x .< 0) }
}
enum StepKernel: UnaryKernel {
    // 1 where x > 0: the derivative of ReLU (0 at 0, the subgradient PyTorch uses).
    @inline(__always) static func apply(_ x: Vector) -> Vector {
        Vector(repeating: 0).replacing(with: 1, where: x .> 0)
    }
}
enum ExpKernel: UnaryKernel {
    @inline(__always) static func apply(_ x: Vector) -> Vector { SIMDMath.exp(x) }
}
enum LogKernel: UnaryKernel {
    @inline(__always) static func apply(_ x: Vector) -> Vector { SIMDMath.log(x) }
}
enum TanhKernel: UnaryKernel {
    @inline(__always) static func apply(_ x: Vector) -> Vector { SIMDMath.tanh(x) }
}
enum SigmoidKernel: UnaryKernel {
    @inline(__always) static func apply(_ x: Vector) -> Vector { SIMDMath.sigmoid(x) }
}
