// Tape+PerExample: the gradient of every example's loss, ∇ℓᵢ(θ), next to the gradient of the
// weighted loss Σᵢ Wᵢℓᵢ — from the one backward pass where the model allows it, by a loop over
// the examples where it does not.
//
// One pass (Goodfellow 2015, "Efficient Per-Example Gradient Computations"): for y = x·W + b on
// input rows xᵢ with output gradients δᵢ = ∂(Σⱼ ℓⱼ)/∂yᵢ, example i's gradients are ∂ℓᵢ/∂W = xᵢδᵢᵀ
// and ∂ℓᵢ/∂b = δᵢ — provided ℓᵢ depends on y through row i only and W, b enter nowhere else.
// Then ‖∂ℓᵢ/∂W‖² = ‖xᵢ‖²·‖δᵢ‖² (norms without the B × P matrix), and a weighted sum
// Σᵢ cᵢ·xᵢδᵢᵀ is one GEMM, Xᵀ·diag(c)·Δ: the summed gradient (c = W) and DP-SGD's clipped sum
// (cᵢ = Wᵢ·min(1, C/‖∇ℓᵢ‖)) cost what the ordinary backward's weight GEMM costs. The tape checks
// both conditions on the recorded ops (`rowDependence`); segments that fail them are evaluated
// by recording each example alone.

/// Buffers a tape keeps across per-example evaluations (the matrix is B·P floats: allocating it
/// each step would cost a page fault per 4 KiB).
struct PerExampleBuffers {
    var matrix: Tensor?
    var clipped: Tensor?
    /// The loop's rows of `loopSegments`, packed: B × (their total size).
    var loopRows: Tensor?
    /// The tape that records examples alone, so the main recording's arena stays valid meanwhile.
    var loopTape: Tape?

    /// `buffer` when it has `shape` and no caller holds it, else a fresh tensor stored in it.
    /// Either way its scalars are about to be overwritten, so it is not flagged as known finite.
    static func reusable(_ buffer: inout Tensor?, shape: [Int]) -> Tensor {
        if buffer?.shape == shape, isKnownUniquelyReferenced(&buffer!.storage) {
            buffer!.storage.knownFinite = false
            return buffer!
        }
        let fresh = Tensor(uninitializedShape: shape)
        buffer = fresh
        return fresh
    }
}

/// A linear op on the one-pass path, as pointers into the arena after the backward pass.
struct OnePassLinear {
    var input: UnsafePointer<Float>     // B × inputs
    var inputs: Int
    var delta: UnsafePointer<Float>?    // B × outputs; nil when no gradient reached the op
    var outputs: Int
    var weightOffset: Int               // −1 when the weight is not on the path
    var biasOffset: Int                 // −1 when there is no bias on the path
}

extension Tape {
    /// The loss L = Σᵢ wᵢℓᵢ(θ) over `examples` with `weights`, its gradient, and the per-example
    /// gradients ∇ℓᵢ(θ) of the examples with a non-zero weight, for θ a flat vector laid out by
    /// `layout`. (An `Objective`'s sampling vector W gives both lists; see
    /// `perExampleObjective(in:_:)`.)
    ///
    /// `perExampleLosses(tape, kept)` returns the unreduced losses of `kept` (the entries of
    /// `examples` whose weight is not 0, in order, repeats kept): a vector whose entry r is ℓ of
    /// `kept[r]`. The tape weights them itself. Example:
    ///
    /// ```swift
    /// let result = tape.valueWithPerExampleGradients(at: θ, in: model.layout, examples: [3, 0, 7],
    ///                                                weights: [0.5, 0.25, 0.25]) { tape, examples in
    ///     softmaxCrossEntropy(logits: model(tape.constant(x).gatheringRows(examples)), labels: examples.map { y[$0] })
    /// }
    /// // result.gradient == Σᵣ weights[r] · result.perExample.row(r)
    /// ```
    ///
    /// One backward pass gives every row for the weights and biases of `linear` ops (and W of
    /// `matmul(x, W)`) whose input rows are the examples and whose parameters enter nowhere
    /// else (Goodfellow 2015: ∂ℓᵢ/∂W =
    /// xᵢδᵢᵀ, ∂ℓᵢ/∂b = δᵢ, ‖∂ℓᵢ/∂W‖² = ‖xᵢ‖²‖δᵢ‖²); the summed gradient is then Xᵀ·diag(w)·Δ,
    /// one GEMM per layer. Other segments, and every segment when the losses mix examples, are
    /// computed by recording each example alone (`perExampleLosses(tape, [i])`, B more
    /// recordings) and listed in `perExample.loopSegments`. Either way row r is the gradient of
    /// ℓ of `kept[r]` with the other examples absent; a loss whose ℓᵢ uses other examples' data
    /// (batch statistics) has no per-example gradient in that sense.
    ///
    /// The gradient and the clipped sum are checked for NaN and ±∞ segment by segment as they are
    /// written, and carry the result, so an optimizer's step on them skips its own check's read.
    ///
    /// The gradient and the matrix share their buffers with this tape until the next call, which
    /// reuses them when the caller no longer holds them. Bookkeeping of O(B + ops) is allocated
    /// per call; the B × P matrix is not.
    public func valueWithPerExampleGradients(
        at parameters: Tensor, in layout: ParameterLayout, examples allExamples: [Int], weights allWeights: [Float],
        computing request: PerExampleRequest = .matrix,
        _ perExampleLosses: (_ tape: Tape, _ examples: [Int]) throws -> Variable
    ) rethrows -> (value: Float, gradient: Tensor, perExample: PerExampleGradients) {
        check(allExamples.count == allWeights.count,
              "valueWithPerExampleGradients: \(allExamples.count) examples but \(allWeights.count) weights")
        var examples: [Int] = [], w: [Float] = []
        examples.reserveCapacity(allExamples.count)
        w.reserveCapacity(allExamples.count)
        for (i, weight) in zip(allExamples, allWeights) where weight != 0 {
            examples.append(i)
            w.append(weight)
        }
        let rows = examples.count, columns = layout.count
        beginRecording(parameters: parameters, layout: layout)
        defer { endRecording() }
        if rows == 0 {
            let empty = PerExampleGradients(
                indices: [], weights: [], losses: [], squaredNorms: [],
                matrix: request.includesMatrix ? Tensor(uninitializedShape: [0, columns]) : nil,
                clippingNorm: request.clippingNorm, clippedGradient: request.clippingNorm.map { _ in Tensor.zeros([columns]) },
                loopSegments: [])
            return (0, Tensor.zeros([columns]), empty)
        }

        let losses = try perExampleLosses(self, examples)
        let root = index(of: losses, "valueWithPerExampleGradients")
        check(nodes[root].shape == TapeShape([rows]),
              "valueWithPerExampleGradients: the losses have shape \(nodes[root].shape.array) but \(rows) examples have a non-zero weight; return one unreduced loss per example, shape [\(rows)]")
        let lossValues = Array(UnsafeBufferPointer(start: nodes[root].value, count: rows))
        // The same dot product as `weightedSum`, so L agrees with the ordinary objective's.
        let value = w.withUnsafeBufferPointer { Float(Kernels.dot(nodes[root].value, $0.baseAddress!, count: rows)) }

        let plan = perExamplePlan(root: root, rows: rows, layout: layout)
        // The parameter leaves take no gradient in this pass: the pullbacks would form Σᵢ ∇ℓᵢ,
        // unweighted, only to be discarded. The one-pass sums below and the loop form Σᵢ Wᵢ∇ℓᵢ.
        for node in parameterNodes where node >= 0 { nodes[node].requiresGradient = false }
        backward(from: losses.sum()) // seed 1 on every ℓᵢ: δ holds the unweighted ∂ℓᵢ/∂yᵢ
        // Every segment is written below (one-pass, loop or zero), after backward flagged the
        // zeros it left as finite: the flag is set again only from the checks of those writes.
        flatGradient.storage.knownFinite = false
        let gradient = flatGradient
        for segment in plan.unusedSegments { (gradient.storage.pointer + segment.offset).update(repeating: 0, count: segment.count) }
        let linears = plan.linears.map { linear in
            OnePassLinear(input: nodes[linear.input].value, inputs: nodes[linear.input].shape[1],
                          delta: nodes[linear.node].gradientIsWritten ? nodes[linear.node].gradient.map { UnsafePointer($0) } : nil,
                          outputs: nodes[linear.node].shape[1],
                          weightOffset: linear.weight?.offset ?? -1, biasOffset: linear.bias?.offset ?? -1)
        }

        var norms = [Double](repeating: 0, count: rows)
        let matrix = request.includesMatrix ? PerExampleBuffers.reusable(&perExampleBuffers.matrix, shape: [rows, columns]) : nil
        norms.withUnsafeMutableBufferPointer { addOnePassSquaredNorms(linears, rows: rows, norms: $0.baseAddress!) }
        if let matrix {
            writeOnePassRows(linears, rows: rows, matrix: matrix.storage.pointer, columns: columns, zeroSegments: plan.unusedSegments)
        }
        // Whether the gradient's one-pass and loop segments are finite (the rest are zeros).
        var gradientIsFinite = true
        if request.includesGradient {
            gradientIsFinite = w.withUnsafeBufferPointer {
                addWeightedSums(linears, rows: rows, coefficients: $0.baseAddress!, into: gradient.storage.pointer)
            }
        }

        // The loop: each example recorded alone on a second tape (this one's arena holds the
        // inputs and output gradients the clipped sum still needs).
        var loopRows: UnsafeMutablePointer<Float>?
        let loopWidth = plan.loopSegments.reduce(0) { $0 + $1.count }
        if !plan.loopSegments.isEmpty {
            if perExampleBuffers.loopTape == nil { perExampleBuffers.loopTape = Tape() }
            let loopTape = perExampleBuffers.loopTape!
            let packed = PerExampleBuffers.reusable(&perExampleBuffers.loopRows, shape: [rows, loopWidth]).storage.pointer
            loopRows = packed
            for r in 0..<rows {
                let (_, g) = try loopTape.valueWithGradient(at: parameters, in: layout) { tape in
                    let loss = try perExampleLosses(tape, [examples[r]])
                    check(loss.shape == [1], "valueWithPerExampleGradients: the losses of one example alone have shape \(loss.shape) but must have shape [1]")
                    return loss
                }
                var column = 0
                for segment in plan.loopSegments {
                    (packed + r * loopWidth + column).update(from: g.storage.pointer + segment.offset, count: segment.count)
                    column += segment.count
                }
            }
            for r in 0..<rows {
                let row = packed + r * loopWidth
                norms[r] += Kernels.dot(row, row, count: loopWidth)
                if let matrix {
                    var column = 0
                    for segment in plan.loopSegments {
                        (matrix.storage.pointer + r * columns + segment.offset).update(from: row + column, count: segment.count)
                        column += segment.count
                    }
                }
            }
            if request.includesGradient {
                for segment in plan.loopSegments { (gradient.storage.pointer + segment.offset).update(repeating: 0, count: segment.count) }
                let loopIsFinite = w.withUnsafeBufferPointer {
                    addLoopSums(plan.loopSegments, rows: packed, rowCount: rows, coefficients: $0.baseAddress!, into: gradient.storage.pointer)
                }
                gradientIsFinite = gradientIsFinite && loopIsFinite
            }
        }

        var clipped: Tensor?
        if let clippingNorm = request.clippingNorm {
            let out = PerExampleBuffers.reusable(&perExampleBuffers.clipped, shape: [columns])
            // cᵢ = Wᵢ·min(1, C/‖∇ℓᵢ‖): rows within the ball are kept whole (a zero row too).
            let coefficients = (0..<rows).map { r -> Float in
                let norm = Float(norms[r].squareRoot())
                return norm > clippingNorm ? w[r] * (clippingNorm / norm) : w[r]
            }
            for segment in plan.unusedSegments + plan.loopSegments {
                (out.storage.pointer + segment.offset).update(repeating: 0, count: segment.count)
            }
            let clippedIsFinite = coefficients.withUnsafeBufferPointer { c in
                let onePass = addWeightedSums(linears, rows: rows, coefficients: c.baseAddress!, into: out.storage.pointer)
                guard let loopRows else { return onePass }
                let loop = addLoopSums(plan.loopSegments, rows: loopRows, rowCount: rows, coefficients: c.baseAddress!,
                                       into: out.storage.pointer)
                return onePass && loop
            }
            out.storage.knownFinite = clippedIsFinite
            clipped = out
        }

        let perExample = PerExampleGradients(
            indices: examples, weights: w, losses: lossValues, squaredNorms: norms.map { Float($0) }, matrix: matrix,
            clippingNorm: request.clippingNorm, clippedGradient: clipped, loopSegments: plan.loopSegments)
        if request.includesGradient { gradient.storage.knownFinite = gradientIsFinite }
        // Without the gradient, its buffer holds the last evaluation's: return the clipped sum.
        return (value, request.includesGradient ? gradient : clipped!, perExample)
    }

    // MARK: - The one-pass path

    /// Adds the one-pass segments' ‖xᵣ‖²‖δᵣ‖² (+ ‖δᵣ‖² for a bias) to norms[r] for every row r.
    private func addOnePassSquaredNorms(_ linears: [OnePassLinear], rows: Int, norms: UnsafeMutablePointer<Double>) {
        let xSquared = allocate(rows), deltaSquared = allocate(rows)
        for linear in linears {
            guard let delta = linear.delta else { continue } // a zero gradient adds nothing
            Kernels.rowSquaredNorms(delta, rows: rows, width: linear.outputs, deltaSquared)
            if linear.weightOffset >= 0 {
                Kernels.rowSquaredNorms(linear.input, rows: rows, width: linear.inputs, xSquared)
                for r in 0..<rows { norms[r] += Double(xSquared[r]) * Double(deltaSquared[r]) }
            }
            if linear.biasOffset >= 0 {
                for r in 0..<rows { norms[r] += Double(deltaSquared[r]) }
            }
        }
    }

    /// Writes xᵣδᵣᵀ and δᵣ into the one-pass segments of every row r of the matrix, and zeros
    /// into `zeroSegments`.
    private func writeOnePassRows(_ linears: [OnePassLinear], rows: Int, matrix: UnsafeMutablePointer<Float>, columns: Int,
                                  zeroSegments: [ParameterSegment]) {
        // Rows split over threads; each writes only its own rows.
        Parallel.forEachChunk(count: rows, minimumChunk: Swift.max(1, Kernels.parallelThreshold / Swift.max(columns, 1))) { range in
            for r in range {
                let out = matrix + r * columns
                for linear in linears {
                    let m = linear.inputs, k = linear.outputs
                    guard let deltas = linear.delta else {
                        if linear.weightOffset >= 0 { (out + linear.weightOffset).update(repeating: 0, count: m * k) }
                        if linear.biasOffset >= 0 { (out + linear.biasOffset).update(repeating: 0, count: k) }
                        continue
                    }
                    let delta = deltas + r * k
                    if linear.weightOffset >= 0 { Kernels.outerProduct(linear.input + r * m, count: m, delta, count: k, out + linear.weightOffset) }
                    if linear.biasOffset >= 0 { (out + linear.biasOffset).update(from: delta, count: k) }
                }
                for segment in zeroSegments { (out + segment.offset).update(repeating: 0, count: segment.count) }
            }
        }
    }

    /// Writes Σᵢ cᵢ·xᵢδᵢᵀ = Xᵀ·diag(c)·Δ and Σᵢ cᵢδᵢ = cᵀ·Δ into the one-pass segments of `flat`
    /// (rows ≥ 1), and returns whether all of them are finite: each segment is checked right
    /// after it is written, while it is in cache.
    private func addWeightedSums(_ linears: [OnePassLinear], rows: Int, coefficients c: UnsafePointer<Float>,
                                 into flat: UnsafeMutablePointer<Float>) -> Bool {
        var allFinite = true
        for linear in linears {
            let m = linear.inputs, k = linear.outputs
            guard let delta = linear.delta else {
                if linear.weightOffset >= 0 { (flat + linear.weightOffset).update(repeating: 0, count: m * k) }
                if linear.biasOffset >= 0 { (flat + linear.biasOffset).update(repeating: 0, count: k) }
                continue
            }
            if linear.weightOffset >= 0 {
                // diag(c) scales the narrower operand: B·min(m, k) multiplies.
                if k <= m {
                    let scaled = allocate(rows * k)
                    for r in 0..<rows { Kernels.scaledCopy(delta + r * k, scale: c[r], scaled + r * k, count: k) }
                    runGEMM(transposeA: true, transposeB: false, m: m, n: k, k: rows, linear.input, lda: m, scaled, ldb: k,
                            beta: 0, flat + linear.weightOffset, ldc: k)
                } else {
                    let scaled = allocate(rows * m)
                    for r in 0..<rows { Kernels.scaledCopy(linear.input + r * m, scale: c[r], scaled + r * m, count: m) }
                    runGEMM(transposeA: true, transposeB: false, m: m, n: k, k: rows, scaled, lda: m, delta, ldb: k,
                            beta: 0, flat + linear.weightOffset, ldc: k)
                }
                allFinite = allFinite && Kernels.allFinite(flat + linear.weightOffset, count: m * k)
            }
            if linear.biasOffset >= 0 {
                // cᵀ·Δ as B scaled adds: a 1-row GEMM would cost more in setup than in arithmetic.
                let out = flat + linear.biasOffset
                Kernels.scaledCopy(delta, scale: c[0], out, count: k)
                for r in 1..<rows { Kernels.addScaled(delta + r * k, scale: c[r], to: out, count: k) }
                allFinite = allFinite && Kernels.allFinite(out, count: k)
            }
        }
        return allFinite
    }

    /// Adds Σᵣ cᵣ·(row r of `packed`) into the loop segments of `flat`, and returns whether they
    /// are all finite afterwards.
    private func addLoopSums(_ segments: [ParameterSegment], rows packed: UnsafePointer<Float>, rowCount: Int,
                             coefficients c: UnsafePointer<Float>, into flat: UnsafeMutablePointer<Float>) -> Bool {
        let width = segments.reduce(0) { $0 + $1.count }
        for r in 0..<rowCount {
            var column = 0
            for segment in segments {
                Kernels.addScaled(packed + r * width + column, scale: c[r], to: flat + segment.offset, count: segment.count)
                column += segment.count
            }
        }
        return segments.allSatisfy { Kernels.allFinite(flat + $0.offset, count: $0.count) }
    }
}

/// L = Σᵢ wᵢℓᵢ(θ), ∇L and the per-example gradients ∇ℓᵢ(θ) on a fresh tape; see
/// `Tape.valueWithPerExampleGradients(at:in:examples:weights:computing:_:)`, and keep a `Tape`
/// (or a `PerExampleObjective`) to reuse its buffers across steps.
public func valueWithPerExampleGradients(
    at parameters: Tensor, in layout: ParameterLayout, examples: [Int], weights: [Float],
    computing request: PerExampleRequest = .matrix,
    _ perExampleLosses: (_ tape: Tape, _ examples: [Int]) throws -> Variable
) rethrows -> (value: Float, gradient: Tensor, perExample: PerExampleGradients) {
    try Tape().valueWithPerExampleGradients(at: parameters, in: layout, examples: examples, weights: weights,
                                            computing: request, perExampleLosses)
}
