// TapeNode: what the tape stores per recorded op — the operation and its operand indices, an
// inline shape, and pointers to the value and (once one reaches it) the gradient.

/// What a node computed and from which nodes (indices into `Tape.nodes`). Payloads are plain
/// values, so appending a node never allocates.
enum TapeOperation {
    case leaf
    case add(Int, Int)
    case subtract(Int, Int)
    case multiply(Int, Int)
    case divide(Int, Int)
    /// scale·x + shift; the shift does not enter the pullback.
    case affine(Int, scale: Float)
    case matmul(Int, Int, transposeA: Bool, transposeB: Bool)
    /// x·W + b; bias −1 when there is none.
    case linear(Int, weight: Int, bias: Int)
    case transpose(Int)
    case reshape(Int)
    /// The row indices sit in `Tape.integers` from `indicesStart`, one per output row.
    case gatherRows(Int, indicesStart: Int)
    /// scale·Σ x (scale 1/n for the mean).
    case sum(Int, scale: Float)
    case sumAlongAxis(Int, outer: Int, length: Int, inner: Int, scale: Float)
    case unary(Int, UnaryFunction)
    case logSoftmax(Int)
    /// Per-example losses; the softmax of each row is kept for the pullback, and the labels sit
    /// in `Tape.integers` from `labelsStart`.
    case softmaxCrossEntropy(logits: Int, probabilities: UnsafeMutablePointer<Float>, labelsStart: Int)
    case squaredError(Int, Int)
    case weightedSum(Int, weights: Int)

    /// The nodes this operation reads, −1 in unused slots. Its pullback writes the gradients of
    /// these nodes and of no other (every write goes through `Tape.gradientSlot` with an operand
    /// index), which is what lets the tape tell when a parameter's gradient is final (see
    /// `Tape.segmentFinishers`). A new case must list its operands here.
    var operands: (Int, Int, Int) {
        switch self {
        case .leaf: return (-1, -1, -1)
        case let .add(a, b), let .subtract(a, b), let .multiply(a, b), let .divide(a, b),
             let .squaredError(a, b), let .weightedSum(a, b):
            return (a, b, -1)
        case let .matmul(a, b, _, _): return (a, b, -1)
        case let .linear(x, w, b): return (x, w, b)
        case let .affine(x, _), let .transpose(x), let .reshape(x), let .gatherRows(x, _), let .sum(x, _),
             let .sumAlongAxis(x, _, _, _, _), let .unary(x, _), let .logSoftmax(x), let .softmaxCrossEntropy(x, _, _):
            return (x, -1, -1)
        }
    }
}

/// The elementwise functions whose pullback needs only the input or the output.
enum UnaryFunction {
    case relu, tanh, sigmoid, exp, log, square, abs
}

struct TapeNode {
    var operation: TapeOperation
    var shape: TapeShape
    var count: Int
    var value: UnsafeMutablePointer<Float>
    /// nil until a gradient first reaches the node.
    var gradient: UnsafeMutablePointer<Float>?
    /// Whether `gradient` holds a contribution yet (if not, the next one overwrites it).
    var gradientIsWritten = false
    var requiresGradient: Bool
    /// For the leaf of a parameter segment, the segment's position in the layout; −1 otherwise.
    /// (Fits in the node's padding: the stride stays 160 bytes.)
    var parameterSegment: Int32 = -1

    init(operation: TapeOperation, shape: TapeShape, count: Int, value: UnsafeMutablePointer<Float>, requiresGradient: Bool) {
        self.operation = operation
        self.shape = shape
        self.count = count
        self.value = value
        self.requiresGradient = requiresGradient
    }
}

/// A shape stored inline (up to rank 8), so recording a node never allocates an array.
struct TapeShape: Equatable {
    static let maximumRank = 8
    private(set) var rank: Int
    /// The sizes; entries at and beyond `rank` are 1.
    private(set) var sizes = SIMD8<Int>(repeating: 1)

    init(_ shape: [Int]) {
        check(shape.count <= TapeShape.maximumRank, "the tape records tensors of rank ≤ \(TapeShape.maximumRank), got shape \(shape)")
        rank = shape.count
        for (i, size) in shape.enumerated() { sizes[i] = size }
    }

    init(rank: Int) {
        check(rank <= TapeShape.maximumRank, "the tape records tensors of rank ≤ \(TapeShape.maximumRank), got rank \(rank)")
        self.rank = rank
    }

    static let scalar = TapeShape(rank: 0)

    subscript(axis: Int) -> Int {
        get { sizes[axis] }
        set { sizes[axis] = newValue }
    }

    /// The number of scalars.
    var count: Int {
        var product = 1
        for i in 0..<rank { product *= sizes[i] }
        return product
    }

    var array: [Int] { (0..<rank).map { sizes[$0] } }
}

/// One matrix product as the tape issued it, operands included (for the bench's GEMM-only
/// replay on the very buffers of a recorded step). The pointers are valid while the tape has not
/// started another recording and the caller still holds the parameters and the gradient.
package struct GEMMCall {
    package var transposeA: Bool
    package var transposeB: Bool
    package var m: Int
    package var n: Int
    package var k: Int
    package var a: UnsafePointer<Float>
    package var lda: Int
    package var b: UnsafePointer<Float>
    package var ldb: Int
    package var beta: Float
    package var c: UnsafeMutablePointer<Float>
    package var ldc: Int

    /// Runs the product again.
    @inline(never)
    package func run() {
        gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
             a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}
