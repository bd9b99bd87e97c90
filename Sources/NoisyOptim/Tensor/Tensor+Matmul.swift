// Tensor+Matmul: matrix products through the packed GEMM.

/// The matrix product op(a)·op(b), where op transposes when asked (without copying):
/// `matmul(x, w, transposingB: true)` is x·wᵀ.
///
/// - Parameters:
///   - a: an m×k matrix (k×m when `transposingA`).
///   - b: a k×n matrix (n×k when `transposingB`).
/// - Returns: the m×n product.
public func matmul(_ a: Tensor, _ b: Tensor, transposingA transposeA: Bool = false, transposingB transposeB: Bool = false) -> Tensor {
    check(a.rank == 2 && b.rank == 2, "matmul needs two matrices, shapes are \(a.shape) and \(b.shape)")
    let m = transposeA ? a.shape[1] : a.shape[0]
    let k = transposeA ? a.shape[0] : a.shape[1]
    let kb = transposeB ? b.shape[1] : b.shape[0]
    let n = transposeB ? b.shape[0] : b.shape[1]
    check(k == kb, "matmul shapes \(a.shape)\(transposeA ? "ᵀ" : "") and \(b.shape)\(transposeB ? "ᵀ" : "") do not agree (\(k) vs \(kb))")
    let result = Tensor(uninitializedShape: [m, n])
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                 alpha: 1, a: a.baseAddress!, lda: transposeA ? m : k,
                 b: b.baseAddress!, ldb: transposeB ? k : n,
                 beta: 0, c: result.storage.pointer, ldc: n)
        }
    }
    return result
}

extension Tensor {
    /// The matrix product `self · other`.
    public func matmul(_ other: Tensor) -> Tensor { NoisyOptim.matmul(self, other) }
}
