// Tensor+Arithmetic: elementwise operators with NumPy broadcasting, and the unary functions.

extension Tensor {
    /// The shape two operands broadcast to under NumPy's rules: align trailing dimensions; each
    /// pair must be equal or contain a 1. Stops with a message naming both shapes otherwise.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = Swift.max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            check(x == y || x == 1 || y == 1, "shapes \(a) and \(b) do not broadcast")
            result[i] = x == 1 ? y : x
        }
        return result
    }

    /// Applies `K` lane-wise to `lhs` and `rhs` broadcast to a common shape.
    ///
    /// Dimensions of size 1 in the result are dropped and neighbouring dimensions that broadcast
    /// alike are merged, so the work is an outer loop over a few indices around one long SIMD
    /// inner loop in which each operand is either contiguous or a repeated scalar.
    static func broadcastingZip<K: BinaryKernel>(_: K.Type, _ lhs: Tensor, _ rhs: Tensor) -> Tensor {
        if lhs.shape == rhs.shape {
            let result = Tensor(uninitializedShape: lhs.shape)
            lhs.withUnsafeBufferPointer { a in rhs.withUnsafeBufferPointer { b in
                Kernels.zip(K.self, a.baseAddress!, aStride: 1, b.baseAddress!, bStride: 1, result.storage.pointer, count: result.count)
            } }
            return result
        }
        let shape = broadcastShape(lhs.shape, rhs.shape)
        let result = Tensor(uninitializedShape: shape)
        guard result.count > 0 else { return result }
        let plan = BroadcastPlan(result: shape, lhs: lhs.shape, rhs: rhs.shape)
        lhs.withUnsafeBufferPointer { a in rhs.withUnsafeBufferPointer { b in
            plan.run(K.self, a.baseAddress!, b.baseAddress!, result.storage.pointer)
        } }
        return result
    }

    static func map<K: UnaryKernel>(_: K.Type, _ x: Tensor) -> Tensor {
        let result = Tensor(uninitializedShape: x.shape)
        x.withUnsafeBufferPointer { Kernels.map(K.self, $0.baseAddress!, result.storage.pointer, count: x.count) }
        return result
    }

    /// Applies `K` in place when `self` is unshared and `other` does not change its shape.
    mutating func formZip<K: BinaryKernel>(_: K.Type, _ other: Tensor) {
        guard Tensor.broadcastShape(shape, other.shape) == shape else {
            self = Tensor.broadcastingZip(K.self, self, other)
            return
        }
        if other.shape == shape || other.count == 1 {
            let count = self.count
            let otherIsScalar = other.count == 1 && count != 1
            withUnsafeMutableBufferPointer { out in other.withUnsafeBufferPointer { b in
                Kernels.zip(K.self, out.baseAddress!, aStride: 1, b.baseAddress!, bStride: otherIsScalar ? 0 : 1, out.baseAddress!, count: count)
            } }
        } else {
            self = Tensor.broadcastingZip(K.self, self, other)
        }
    }
}

/// The loop structure for a broadcast binary operation (see `Tensor.broadcastingZip`).
struct BroadcastPlan {
    /// Sizes of the merged outer dimensions, and each operand's stride along them.
    var outerSizes: [Int] = []
    var lhsOuterStrides: [Int] = []
    var rhsOuterStrides: [Int] = []
    var innerCount = 1
    var lhsInnerStride = 1
    var rhsInnerStride = 1

    init(result: [Int], lhs: [Int], rhs: [Int]) {
        let rank = result.count
        let a = [Int](repeating: 1, count: rank - lhs.count) + lhs
        let b = [Int](repeating: 1, count: rank - rhs.count) + rhs
        // Merged dimensions: (size, lhs is broadcast along it, rhs is broadcast along it).
        var dims: [(size: Int, aBroadcast: Bool, bBroadcast: Bool)] = []
        for i in 0..<rank where result[i] != 1 {
            let aB = a[i] == 1, bB = b[i] == 1
            if let last = dims.last, last.aBroadcast == aB, last.bBroadcast == bB {
                dims[dims.count - 1].size *= result[i]
            } else {
                dims.append((result[i], aB, bB))
            }
        }
        guard let inner = dims.popLast() else { return }
        innerCount = inner.size
        lhsInnerStride = inner.aBroadcast ? 0 : 1
        rhsInnerStride = inner.bBroadcast ? 0 : 1
        // Row-major strides of each operand over the merged dimensions, 0 where it broadcasts.
        var aStride = inner.aBroadcast ? 1 : inner.size
        var bStride = inner.bBroadcast ? 1 : inner.size
        for dim in dims.reversed() {
            outerSizes.insert(dim.size, at: 0)
            lhsOuterStrides.insert(dim.aBroadcast ? 0 : aStride, at: 0)
            rhsOuterStrides.insert(dim.bBroadcast ? 0 : bStride, at: 0)
            if !dim.aBroadcast { aStride *= dim.size }
            if !dim.bBroadcast { bStride *= dim.size }
        }
    }

    func run<K: BinaryKernel>(_: K.Type, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        let outerCount = outerSizes.reduce(1, *)
        if outerCount == 1 {
            Kernels.zip(K.self, a, aStride: lhsInnerStride, b, bStride: rhsInnerStride, out, count: innerCount)
            return
        }
        let minimumRows = max(1, Kernels.parallelThreshold / max(innerCount, 1))
        Parallel.forEachChunk(count: outerCount, minimumChunk: minimumRows) { rows in
            for row in rows {
                var rest = row, aOffset = 0, bOffset = 0
                for d in stride(from: outerSizes.count - 1, through: 0, by: -1) {
                    let index = rest % outerSizes[d]
                    rest /= outerSizes[d]
                    aOffset += index * lhsOuterStrides[d]
                    bOffset += index * rhsOuterStrides[d]
                }
                Kernels.zipRange(K.self, a + aOffset, aStride: lhsInnerStride, b + bOffset, bStride: rhsInnerStride,
                                 out + row * innerCount, range: 0..<innerCount)
            }
        }
    }
}

// MARK: - Operators

extension Tensor {
    /// Elementwise sum, broadcasting.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { broadcastingZip(AddKernel.self, lhs, rhs) }
    /// Elementwise difference, broadcasting.
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { broadcastingZip(SubtractKernel.self, lhs, rhs) }
    /// Elementwise (Hadamard) product, broadcasting.
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { broadcastingZip(MultiplyKernel.self, lhs, rhs) }
    /// Elementwise quotient, broadcasting.
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { broadcastingZip(DivideKernel.self, lhs, rhs) }

    /// Adds `rhs` to every scalar.
    public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs + Tensor(scalar: rhs) }
    /// Subtracts `rhs` from every scalar.
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs - Tensor(scalar: rhs) }
    /// Multiplies every scalar by `rhs`.
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs * Tensor(scalar: rhs) }
    /// Divides every scalar by `rhs`.
    public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs / Tensor(scalar: rhs) }
    /// `lhs` plus each scalar.
    public static func + (lhs: Float, rhs: Tensor) -> Tensor { Tensor(scalar: lhs) + rhs }
    /// `lhs` minus each scalar.
    public static func - (lhs: Float, rhs: Tensor) -> Tensor { Tensor(scalar: lhs) - rhs }
    /// `lhs` times each scalar.
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { Tensor(scalar: lhs) * rhs }
    /// `lhs` divided by each scalar.
    public static func / (lhs: Float, rhs: Tensor) -> Tensor { Tensor(scalar: lhs) / rhs }

    /// Elementwise negation.
    public static prefix func - (x: Tensor) -> Tensor { map(NegateKernel.self, x) }

    /// In place when `lhs` is unshared and keeps its shape; otherwise as `lhs = lhs + rhs`.
    public static func += (lhs: inout Tensor, rhs: Tensor) { lhs.formZip(AddKernel.self, rhs) }
    /// `lhs = lhs - rhs`, in place when possible (see `+=`).
    public static func -= (lhs: inout Tensor, rhs: Tensor) { lhs.formZip(SubtractKernel.self, rhs) }
    /// `lhs = lhs * rhs`, in place when possible (see `+=`).
    public static func *= (lhs: inout Tensor, rhs: Tensor) { lhs.formZip(MultiplyKernel.self, rhs) }
    /// `lhs = lhs / rhs`, in place when possible (see `+=`).
    public static func /= (lhs: inout Tensor, rhs: Tensor) { lhs.formZip(DivideKernel.self, rhs) }
    /// Adds `rhs` to every scalar in place.
    public static func += (lhs: inout Tensor, rhs: Float) { lhs.formZip(AddKernel.self, Tensor(scalar: rhs)) }
    /// Subtracts `rhs` from every scalar in place.
    public static func -= (lhs: inout Tensor, rhs: Float) { lhs.formZip(SubtractKernel.self, Tensor(scalar: rhs)) }
    /// Multiplies every scalar by `rhs` in place.
    public static func *= (lhs: inout Tensor, rhs: Float) { lhs.formZip(MultiplyKernel.self, Tensor(scalar: rhs)) }
    /// Divides every scalar by `rhs` in place.
    public static func /= (lhs: inout Tensor, rhs: Float) { lhs.formZip(DivideKernel.self, Tensor(scalar: rhs)) }
}

// MARK: - Elementwise functions

/// Elementwise maximum, broadcasting; NaN if either operand is NaN.
public func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { Tensor.broadcastingZip(MaximumKernel.self, a, b) }
/// Elementwise minimum, broadcasting; NaN if either operand is NaN.
public func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { Tensor.broadcastingZip(MinimumKernel.self, a, b) }
/// |x| elementwise.
public func abs(_ x: Tensor) -> Tensor { Tensor.map(AbsKernel.self, x) }
/// sign(x) elementwise: −1, 0 or 1 (NaN stays NaN).
public func sign(_ x: Tensor) -> Tensor { Tensor.map(SignKernel.self, x) }
/// x² elementwise.
public func square(_ x: Tensor) -> Tensor { Tensor.map(SquareKernel.self, x) }
/// √x elementwise (correctly rounded).
public func sqrt(_ x: Tensor) -> Tensor { Tensor.map(SquareRootKernel.self, x) }
/// eˣ elementwise, within 2 ULP; results below the normal range flush to 0.
public func exp(_ x: Tensor) -> Tensor { Tensor.map(ExpKernel.self, x) }
/// ln x elementwise, within 2 ULP; −∞ at 0, NaN for x < 0.
public func log(_ x: Tensor) -> Tensor { Tensor.map(LogKernel.self, x) }
/// tanh x elementwise, within 1e-6 relative.
public func tanh(_ x: Tensor) -> Tensor { Tensor.map(TanhKernel.self, x) }
/// σ(x) = 1/(1 + e⁻ˣ) elementwise.
public func sigmoid(_ x: Tensor) -> Tensor { Tensor.map(SigmoidKernel.self, x) }
/// max(x, 0) elementwise (NaN stays NaN).
public func relu(_ x: Tensor) -> Tensor { Tensor.map(ReLUKernel.self, x) }
/// 1 where x > 0, else 0: ReLU's derivative, with the subgradient 0 at 0.
func reluDerivative(_ x: Tensor) -> Tensor { Tensor.map(StepKernel.self, x) }
