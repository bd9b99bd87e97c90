// Tape+Matmul: matrix products (plain, and fused with a bias add for Linear) and transposes.
// Every pullback is a GEMM that writes its gradient (β = 0) or adds to it (β = 1) directly, with
// the transposes folded into the GEMM's flags, so no transposed copy is ever made.

extension Tape {
    /// C ← α·op(A)·op(B) + β·C through the packed GEMM, logged when `gemmCalls` is set.
    /// Never inlined, so the GEMM runs with run-time flags exactly as the bench's replay of the
    /// logged calls does (inlined into a caller with constant flags, a simple GEMM would be
    /// specialized and the comparison unfair).
    @inline(never)
    func runGEMM(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                 _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                 beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0 && n > 0 else { return }
        if k == 0 {
            // An empty sum: C ← β·C, without relying on the kernel's handling of k = 0.
            if beta == 0 { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            return
        }
        gemmCalls?.append(GEMMCall(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                   a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc))
        gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
             a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    func recordMatmul(_ a: Variable, _ transposeA: Bool, _ b: Variable, _ transposeB: Bool) -> Variable {
        let i = index(of: a, "matmul"), j = index(of: b, "matmul")
        let x = nodes[i], y = nodes[j]
        check(x.shape.rank == 2 && y.shape.rank == 2, "matmul needs two matrices, shapes are \(x.shape.array) and \(y.shape.array)")
        let m = transposeA ? x.shape[1] : x.shape[0], k = transposeA ? x.shape[0] : x.shape[1]
        let kb = transposeB ? y.shape[1] : y.shape[0], n = transposeB ? y.shape[0] : y.shape[1]
        check(k == kb, "matmul: shapes \(x.shape.array)\(transposeA ? "ᵀ" : "") and \(y.shape.array)\(transposeB ? "ᵀ" : "") do not agree (\(k) vs \(kb))")
        var shape = TapeShape(rank: 2)
        shape[0] = m
        shape[1] = n
        let out = allocate(m * n)
        runGEMM(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, x.value, lda: x.shape[1],
                y.value, ldb: y.shape[1], beta: 0, out, ldc: n)
        return append(.matmul(i, j, transposeA: transposeA, transposeB: transposeB), shape: shape, value: out,
                      requiresGradient: x.requiresGradient || y.requiresGradient)
    }

    /// ∂ op(A)·op(B): op(A) gets G·op(B)ᵀ and op(B) gets op(A)ᵀ·G, each transposed back when the
    /// operand was used transposed.
    func pullbackMatmul(_ node: TapeNode, _ g: UnsafeMutablePointer<Float>, _ a: Int, _ b: Int, _ transposeA: Bool, _ transposeB: Bool) {
        let m = node.shape[0], n = node.shape[1]
        let aShape = nodes[a].shape, bShape = nodes[b].shape
        let k = transposeA ? aShape[0] : aShape[1]
        if nodes[a].requiresGradient {
            let bValue = nodes[b].value
            let (ga, accumulate) = gradientSlot(a)
            if transposeA { // A is k×m: Aᵀ's gradient transposed is op(B)·Gᵀ.
                runGEMM(transposeA: transposeB, transposeB: true, m: k, n: m, k: n, bValue, lda: bShape[1], g, ldb: n,
                        beta: accumulate ? 1 : 0, ga, ldc: m)
            } else {        // A is m×k: G·op(B)ᵀ.
                runGEMM(transposeA: false, transposeB: !transposeB, m: m, n: k, k: n, g, lda: n, bValue, ldb: bShape[1],
                        beta: accumulate ? 1 : 0, ga, ldc: k)
            }
        }
        if nodes[b].requiresGradient {
            let aValue = nodes[a].value
            let (gb, accumulate) = gradientSlot(b)
            if transposeB { // B is n×k: Gᵀ·op(A).
                runGEMM(transposeA: true, transposeB: transposeA, m: n, n: k, k: m, g, lda: n, aValue, ldb: aShape[1],
                        beta: accumulate ? 1 : 0, gb, ldc: k)
            } else {        // B is k×n: op(A)ᵀ·G.
                runGEMM(transposeA: !transposeA, transposeB: false, m: k, n: n, k: m, aValue, lda: aShape[1], g, ldb: n,
                        beta: accumulate ? 1 : 0, gb, ldc: n)
            }
        }
    }

    /// Records x·W + b in one pass: each output row starts as b, and the GEMM adds x·W (β = 1).
    func recordLinear(_ input: Variable, weight: Variable, bias: Variable?) -> Variable {
        let i = index(of: input, "linear"), w = index(of: weight, "linear")
        let x = nodes[i], weights = nodes[w]
        check(x.shape.rank == 2 && weights.shape.rank == 2,
                     "linear needs a matrix input and a matrix weight, shapes are \(x.shape.array) and \(weights.shape.array)")
        let rows = x.shape[0], inputs = x.shape[1], outputs = weights.shape[1]
        check(weights.shape[0] == inputs,
                     "linear: input \(x.shape.array) and weight \(weights.shape.array) do not agree (\(inputs) vs \(weights.shape[0]))")
        var shape = TapeShape(rank: 2)
        shape[0] = rows
        shape[1] = outputs
        let out = allocate(rows * outputs)
        var b = -1
        var requiresGradient = x.requiresGradient || weights.requiresGradient
        if let bias {
            b = index(of: bias, "linear")
            let biasNode = nodes[b]
            check(biasNode.shape == TapeShape([outputs]),
                         "linear: bias has shape \(biasNode.shape.array), the weight \(weights.shape.array) needs [\(outputs)]")
            for r in 0..<rows { (out + r * outputs).update(from: biasNode.value, count: outputs) }
            requiresGradient = requiresGradient || biasNode.requiresGradient
        }
        runGEMM(transposeA: false, transposeB: false, m: rows, n: outputs, k: inputs, x.value, lda: inputs,
                weights.value, ldb: outputs, beta: bias == nil ? 0 : 1, out, ldc: outputs)
        return append(.linear(i, weight: w, bias: b), shape: shape, value: out, requiresGradient: requiresGradient)
    }

    /// ∂(x·W + b): x gets G·Wᵀ, W gets xᵀ·G, b gets the column sums of G.
    func pullbackLinear(_ node: TapeNode, _ g: UnsafeMutablePointer<Float>, _ x: Int, _ w: Int, _ b: Int) {
        let rows = node.shape[0], outputs = node.shape[1], inputs = nodes[x].shape[1]
        if b >= 0 && nodes[b].requiresGradient {
            let (gb, accumulate) = gradientSlot(b)
            if !accumulate { gb.update(repeating: 0, count: outputs) }
            // A plain loop: the compiler vectorizes it, and narrow layers get no padded tails.
            for r in 0..<rows {
                let row = g + r * outputs
                for j in 0..<outputs { gb[j] += row[j] }
            }
        }
        if nodes[w].requiresGradient {
            let xValue = nodes[x].value
            let (gw, accumulate) = gradientSlot(w)
            runGEMM(transposeA: true, transposeB: false, m: inputs, n: outputs, k: rows, xValue, lda: inputs, g, ldb: outputs,
                    beta: accumulate ? 1 : 0, gw, ldc: outputs)
        }
        if nodes[x].requiresGradient {
            let wValue = nodes[w].value
            let (gx, accumulate) = gradientSlot(x)
            runGEMM(transposeA: false, transposeB: true, m: rows, n: inputs, k: outputs, g, lda: outputs, wValue, ldb: outputs,
                    beta: accumulate ? 1 : 0, gx, ldc: inputs)
        }
    }

    func recordTranspose(_ x: Variable) -> Variable {
        let i = index(of: x, "transposed")
        let node = nodes[i]
        check(node.shape.rank == 2, "transposed() needs a matrix, shape is \(node.shape.array)")
        var shape = TapeShape(rank: 2)
        shape[0] = node.shape[1]
        shape[1] = node.shape[0]
        let out = allocate(node.count)
        Kernels.transpose(node.value, rows: node.shape[0], columns: node.shape[1], out, accumulate: false)
        return append(.transpose(i), shape: shape, value: out, requiresGradient: node.requiresGradient)
    }

    /// ∂ xᵀ = Gᵀ.
    func pullbackTranspose(_ node: TapeNode, _ g: UnsafeMutablePointer<Float>, _ x: Int) {
        guard nodes[x].requiresGradient else { return }
        let (gx, accumulate) = gradientSlot(x)
        Kernels.transpose(g, rows: node.shape[0], columns: node.shape[1], gx, accumulate: accumulate)
    }
}

// MARK: - Public ops

/// The matrix product op(a)·op(b) of two recorded matrices, op transposing when asked:
/// `matmul(x, w, transposingB: true)` is x·wᵀ.
///
/// Pullback: op(a) receives G·op(b)ᵀ and op(b) receives op(a)ᵀ·G (transposed back to the stored
/// layout), each one GEMM.
public func matmul(_ a: Variable, _ b: Variable, transposingA transposeA: Bool = false, transposingB transposeB: Bool = false) -> Variable {
    a.tape.recordMatmul(a, transposeA, b, transposeB)
}

/// The affine map x·W + b of a batch of rows: x is batch×in, W is in×out, b has out scalars
/// (or is nil). One GEMM forward, started from b, and up to three in the pullback:
/// ∂x = G·Wᵀ, ∂W = xᵀ·G, ∂b = Σ_rows G.
public func linear(_ x: Variable, weight: Variable, bias: Variable?) -> Variable {
    x.tape.recordLinear(x, weight: weight, bias: bias)
}

extension Variable {
    /// The matrix product `self · other`.
    public func matmul(_ other: Variable) -> Variable { tape.recordMatmul(self, false, other, false) }

    /// The transpose of a matrix; its pullback transposes the gradient back.
    public func transposed() -> Variable { tape.recordTranspose(self) }
}
