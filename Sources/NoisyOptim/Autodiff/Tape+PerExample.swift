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

/// What a per-example evaluation computes besides the loss, its gradient and the per-example
/// squared norms ‖∇ℓᵢ‖² (always computed: they cost O(B·(inputs + outputs)) per layer).
public struct PerExampleRequest: Sendable, Hashable {
    /// Whether to fill the B × P matrix whose row i is ∇ℓᵢ (B·P floats of memory traffic).
    public var includesMatrix: Bool
    /// When set to C, also compute DP-SGD's clipped sum Σᵢ Wᵢ·min(1, C/‖∇ℓᵢ‖)·∇ℓᵢ (Abadi et al.
    /// 2016), without the matrix. With Wᵢ = 1/(expected batch size) on the sampled examples this
    /// is DP-SGD's clipped mean, to which the noise N(0, σ²C²)/(expected batch size) is added.
    public var clippingNorm: Float?

    /// A request; `clippingNorm` must be positive and finite when set.
    public init(includesMatrix: Bool = true, clippingNorm: Float? = nil) {
        if let clippingNorm {
            check(clippingNorm > 0 && clippingNorm.isFinite, "the clipping norm C must be positive and finite, got \(clippingNorm)")
        }
        self.includesMatrix = includesMatrix
        self.clippingNorm = clippingNorm
    }

    /// The B × P matrix of per-example gradients (and their squared norms).
    public static let matrix = PerExampleRequest(includesMatrix: true)
    /// Only the per-example squared norms (noise diagnostics: tr(Σ) from Σᵢ‖∇ℓᵢ‖²).
    public static let squaredNorms = PerExampleRequest(includesMatrix: false)
    /// The clipped sum Σᵢ Wᵢ·min(1, C/‖∇ℓᵢ‖)·∇ℓᵢ and the squared norms, matrix optional.
    public static func clipped(toNorm norm: Float, includesMatrix: Bool = false) -> PerExampleRequest {
        PerExampleRequest(includesMatrix: includesMatrix, clippingNorm: norm)
    }
}

/// The gradients of the individual losses ℓᵢ of a weighted loss L = Σᵢ Wᵢℓᵢ, one row per entry of
/// W with a non-zero weight, in W's order (a repeated index gives repeated rows).
///
/// Row r is the *unweighted* gradient ∇ℓ of example `indices[r]`, laid out like the flat
/// parameters, so Σᵣ `weights[r]`·row r is the gradient of L (what `valueWithGradient` and an
/// `Objective` return). DP-SGD clips these rows; the gradient-noise scale B_simple = tr(Σ)/‖G‖²
/// (McCandlish et al. 2018) reads tr(Σ) off `squaredNorms` and the mean gradient.
///
/// Computed in one backward pass for the weights and biases of linear ops whose input rows are the
/// examples (Goodfellow 2015); `loopSegments` lists the segments that were not, and were computed
/// by recording each example alone.
public struct PerExampleGradients: Sendable {
    /// The example of each row: W's indices with a non-zero weight, in order.
    public let indices: [Int]
    /// Wᵢ of each row (never 0).
    public let weights: [Float]
    /// ℓᵢ of each row, the unweighted per-example loss.
    public let losses: [Float]
    /// ‖∇ℓᵢ‖² of each row, over all parameters (accumulated in Double, rounded once).
    public let squaredNorms: [Float]
    /// B × P, row r = ∇ℓ of example `indices[r]`; nil unless the request included it.
    ///
    /// Shares its buffer with the tape until the next evaluation, which reuses it when the caller
    /// no longer holds it (as the flat gradient does).
    public let matrix: Tensor?
    /// The clipping norm C of the request, if any.
    public let clippingNorm: Float?
    /// Σᵢ Wᵢ·min(1, C/‖∇ℓᵢ‖)·∇ℓᵢ, a flat vector like the gradient; nil without a clipping norm.
    public let clippedGradient: Tensor?
    /// The segments that the one-pass identity did not cover (used by a `matmul` or an
    /// elementwise op, used twice, or in a loss that mixes examples): evaluated by a loop of
    /// B recordings of one example each, so they cost about B small forward and backward passes.
    public let loopSegments: [ParameterSegment]

    /// B, the number of rows.
    public var count: Int { indices.count }

    /// Row r of `matrix`, ∇ℓ of example `indices[r]`, as a flat vector (a copy).
    public func row(_ r: Int) -> Tensor {
        guard let matrix else { fail("PerExampleGradients.row(\(r)): the matrix was not requested (use PerExampleRequest.matrix)") }
        check(r >= 0 && r < count, "PerExampleGradients.row: row \(r) is outside 0..<\(count)")
        let p = matrix.shape[1]
        let result = Tensor(uninitializedShape: [p])
        result.storage.pointer.update(from: matrix.storage.pointer + r * p, count: p)
        return result
    }

    /// The rows of one segment, shape [B] + `segment.shape`: entry r is ∂ℓ/∂(segment) of example
    /// `indices[r]` (a copy out of `matrix`).
    public func rows(of segment: ParameterSegment) -> Tensor {
        guard let matrix else { fail("PerExampleGradients.rows(of: \(segment.name)): the matrix was not requested (use PerExampleRequest.matrix)") }
        let p = matrix.shape[1]
        check(segment.range.upperBound <= p,
              "PerExampleGradients.rows(of:): segment \(segment.name) (\(segment.range)) does not fit rows of \(p) parameters")
        let result = Tensor(uninitializedShape: [count] + segment.shape)
        for r in 0..<count {
            (result.storage.pointer + r * segment.count).update(from: matrix.storage.pointer + r * p + segment.offset, count: segment.count)
        }
        return result
    }

    /// Unbiased estimates of |G|² and tr(Σ), the two halves of the gradient-noise scale
    /// B_simple = tr(Σ)/|G|² (McCandlish et al. 2018, "An Empirical Model of Large-Batch
    /// Training", appendix A), from these B ≥ 2 rows taken as draws of the per-example gradient.
    /// With ḡ = (1/B)·Σᵢ gᵢ given as `mean` and S = (1/B)·Σᵢ ‖gᵢ‖² from `squaredNorms`:
    ///
    ///     |G|² ≈ (B‖ḡ‖² − S)/(B − 1),    tr(Σ) ≈ (S − ‖ḡ‖²)·B/(B − 1).
    ///
    /// No matrix is needed: with W = 1/B on the batch, `mean` is the returned gradient. A single
    /// batch gives a noisy ratio; the paper averages each estimate over steps before dividing.
    public func gradientNoiseEstimates(mean: Tensor) -> (squaredGradientNorm: Double, traceOfCovariance: Double) {
        check(count >= 2, "gradientNoiseEstimates needs at least 2 rows to estimate a covariance, there are \(count)")
        check(mean.rank == 1, "gradientNoiseEstimates: the mean gradient must be a flat vector, its shape is \(mean.shape)")
        let b = Double(count)
        let meanSquared = Kernels.dot(mean.storage.pointer, mean.storage.pointer, count: mean.count)
        let s = squaredNorms.reduce(0.0) { $0 + Double($1) } / b
        return ((b * meanSquared - s) / (b - 1), (s - meanSquared) * b / (b - 1))
    }
}

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
    static func reusable(_ buffer: inout Tensor?, shape: [Int]) -> Tensor {
        if buffer?.shape == shape, isKnownUniquelyReferenced(&buffer!.storage) { return buffer! }
        let fresh = Tensor(uninitializedShape: shape)
        buffer = fresh
        return fresh
    }
}

/// How a recorded value depends on the outputs of the linear ops over the batch's rows.
enum RowDependence: UInt8, Comparable {
    /// Not at all: data, parameters, and what is computed from them alone.
    case none
    /// Row r (first axis, one row per example) depends on them through their row r only.
    case rowwise
    /// Across rows (a sum over the batch, a transpose, a gather, a product from the left…).
    case mixed

    static func < (a: RowDependence, b: RowDependence) -> Bool { a.rawValue < b.rawValue }
}

/// Which segments take the one-pass path, through which linear ops, and which the loop.
struct PerExamplePlan {
    /// A linear node and its segments on the one-pass path (nil: that operand is not).
    var linears: [(node: Int, input: Int, weight: ParameterSegment?, bias: ParameterSegment?)] = []
    var loopSegments: [ParameterSegment] = []
    /// Segments the recording never used: zero rows.
    var unusedSegments: [ParameterSegment] = []
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
    /// The loss L = Σᵢ Wᵢℓᵢ(θ), its gradient, and the per-example gradients ∇ℓᵢ(θ) of the entries
    /// of W with a non-zero weight, for θ a flat vector laid out by `layout`.
    ///
    /// `perExampleLosses(tape, examples)` returns the unreduced losses of `examples` (W's indices
    /// with a non-zero weight, repeats kept): a vector whose entry r is ℓ of `examples[r]`. The
    /// tape weights them itself. Example:
    ///
    /// ```swift
    /// let result = tape.valueWithPerExampleGradients(at: θ, in: model.layout, weights: w) { tape, examples in
    ///     softmaxCrossEntropy(logits: model(tape.constant(x).gatheringRows(examples)), labels: examples.map { y[$0] })
    /// }
    /// // result.gradient == Σᵣ w_r · result.perExample.row(r)
    /// ```
    ///
    /// One backward pass gives every row for the weights and biases of `linear` ops whose input
    /// rows are the examples and whose parameters enter nowhere else (Goodfellow 2015: ∂ℓᵢ/∂W =
    /// xᵢδᵢᵀ, ∂ℓᵢ/∂b = δᵢ, ‖∂ℓᵢ/∂W‖² = ‖xᵢ‖²‖δᵢ‖²); the summed gradient is then Xᵀ·diag(W)·Δ,
    /// one GEMM per layer. Other segments, and every segment when the losses mix examples, are
    /// computed by recording each example alone (`perExampleLosses(tape, [i])`, B more
    /// recordings) and listed in `perExample.loopSegments`. Either way row r is the gradient of
    /// ℓ of `examples[r]` with the other examples absent; a loss whose ℓᵢ uses other examples'
    /// data (batch statistics) has no per-example gradient in that sense.
    ///
    /// The gradient and the matrix share their buffers with this tape until the next call, which
    /// reuses them when the caller no longer holds them.
    public func valueWithPerExampleGradients(
        at parameters: Tensor, in layout: ParameterLayout, weights: SampleWeights,
        computing request: PerExampleRequest = .matrix,
        _ perExampleLosses: (_ tape: Tape, _ examples: [Int]) throws -> Variable
    ) rethrows -> (value: Float, gradient: Tensor, perExample: PerExampleGradients) {
        var examples: [Int] = [], w: [Float] = []
        for (i, weight) in zip(weights.indices, weights.weights) where weight != 0 {
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
              "valueWithPerExampleGradients: the losses have shape \(nodes[root].shape.array) but W has \(rows) examples with a non-zero weight; return one unreduced loss per example, shape [\(rows)]")
        let lossValues = Array(UnsafeBufferPointer(start: nodes[root].value, count: rows))
        // The same dot product as `weightedSum`, so L agrees with the ordinary objective's.
        let value = w.withUnsafeBufferPointer { Float(Kernels.dot(nodes[root].value, $0.baseAddress!, count: rows)) }

        let plan = perExamplePlan(root: root, rows: rows, layout: layout)
        // The parameter leaves take no gradient in this pass: the pullbacks would form Σᵢ ∇ℓᵢ,
        // unweighted, only to be discarded. The one-pass sums below and the loop form Σᵢ Wᵢ∇ℓᵢ.
        for node in parameterNodes where node >= 0 { nodes[node].requiresGradient = false }
        backward(from: losses.sum()) // seed 1 on every ℓᵢ: δ holds the unweighted ∂ℓᵢ/∂yᵢ
        let gradient = flatGradient  // every segment zeroed by backward (none was reached)
        let linears = plan.linears.map { linear in
            OnePassLinear(input: nodes[linear.input].value, inputs: nodes[linear.input].shape[1],
                          delta: nodes[linear.node].gradientIsWritten ? nodes[linear.node].gradient.map { UnsafePointer($0) } : nil,
                          outputs: nodes[linear.node].shape[1],
                          weightOffset: linear.weight?.offset ?? -1, biasOffset: linear.bias?.offset ?? -1)
        }

        var norms = [Double](repeating: 0, count: rows)
        let matrix = request.includesMatrix ? PerExampleBuffers.reusable(&perExampleBuffers.matrix, shape: [rows, columns]) : nil
        norms.withUnsafeMutableBufferPointer { norms in
            writeOnePassRows(linears, rows: rows, norms: norms.baseAddress!, matrix: matrix?.storage.pointer, columns: columns,
                             zeroSegments: plan.unusedSegments)
        }
        w.withUnsafeBufferPointer { addWeightedSums(linears, rows: rows, coefficients: $0.baseAddress!, into: gradient.storage.pointer) }

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
            w.withUnsafeBufferPointer {
                addLoopSums(plan.loopSegments, rows: packed, rowCount: rows, coefficients: $0.baseAddress!, into: gradient.storage.pointer)
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
            coefficients.withUnsafeBufferPointer { c in
                addWeightedSums(linears, rows: rows, coefficients: c.baseAddress!, into: out.storage.pointer)
                if let loopRows {
                    addLoopSums(plan.loopSegments, rows: loopRows, rowCount: rows, coefficients: c.baseAddress!, into: out.storage.pointer)
                }
            }
            clipped = out
        }

        let perExample = PerExampleGradients(
            indices: examples, weights: w, losses: lossValues, squaredNorms: norms.map { Float($0) }, matrix: matrix,
            clippingNorm: request.clippingNorm, clippedGradient: clipped, loopSegments: plan.loopSegments)
        return (value, gradient, perExample)
    }

    // MARK: - The one-pass path

    /// For every row r: adds the one-pass segments' ‖xᵣ‖²‖δᵣ‖² (+ ‖δᵣ‖² for a bias) to norms[r],
    /// and when there is a matrix writes xᵣδᵣᵀ and δᵣ into row r (zeros for `zeroSegments`).
    private func writeOnePassRows(_ linears: [OnePassLinear], rows: Int, norms: UnsafeMutablePointer<Double>,
                                  matrix: UnsafeMutablePointer<Float>?, columns: Int, zeroSegments: [ParameterSegment]) {
        // Rows split over threads; each writes only its own rows of the matrix and the norms.
        let minimumRows = Swift.max(1, Kernels.parallelThreshold / Swift.max(matrix == nil ? 64 : columns, 1))
        Parallel.forEachChunk(count: rows, minimumChunk: minimumRows) { range in
            for r in range {
                var total = 0.0
                let out = matrix.map { $0 + r * columns }
                for linear in linears {
                    let m = linear.inputs, k = linear.outputs
                    guard let deltas = linear.delta else {
                        if let out {
                            if linear.weightOffset >= 0 { (out + linear.weightOffset).update(repeating: 0, count: m * k) }
                            if linear.biasOffset >= 0 { (out + linear.biasOffset).update(repeating: 0, count: k) }
                        }
                        continue
                    }
                    let x = linear.input + r * m, delta = deltas + r * k
                    let deltaSquared = Double(Kernels.blockDot(delta, delta, count: k))
                    if linear.weightOffset >= 0 {
                        total += Double(Kernels.blockDot(x, x, count: m)) * deltaSquared
                        if let out { Kernels.outerProduct(x, count: m, delta, count: k, out + linear.weightOffset) }
                    }
                    if linear.biasOffset >= 0 {
                        total += deltaSquared
                        if let out { (out + linear.biasOffset).update(from: delta, count: k) }
                    }
                }
                norms[r] += total
                if let out {
                    for segment in zeroSegments { (out + segment.offset).update(repeating: 0, count: segment.count) }
                }
            }
        }
    }

    /// Writes Σᵢ cᵢ·xᵢδᵢᵀ = Xᵀ·diag(c)·Δ and Σᵢ cᵢδᵢ = cᵀ·Δ into the one-pass segments of `flat`.
    private func addWeightedSums(_ linears: [OnePassLinear], rows: Int, coefficients c: UnsafePointer<Float>,
                                 into flat: UnsafeMutablePointer<Float>) {
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
            }
            if linear.biasOffset >= 0 {
                runGEMM(transposeA: false, transposeB: false, m: 1, n: k, k: rows, c, lda: rows, delta, ldb: k,
                        beta: 0, flat + linear.biasOffset, ldc: k)
            }
        }
    }

    /// Adds Σᵣ cᵣ·(row r of `packed`) into the loop segments of `flat` (which hold zeros).
    private func addLoopSums(_ segments: [ParameterSegment], rows packed: UnsafePointer<Float>, rowCount: Int,
                             coefficients c: UnsafePointer<Float>, into flat: UnsafeMutablePointer<Float>) {
        let width = segments.reduce(0) { $0 + $1.count }
        for r in 0..<rowCount {
            var column = 0
            for segment in segments {
                Kernels.addScaled(packed + r * width + column, scale: c[r], to: flat + segment.offset, count: segment.count)
                column += segment.count
            }
        }
    }

    // MARK: - Which segments the one pass covers

    /// The segments on the one-pass path: the weight and bias of every `linear` node over the
    /// batch's rows that are parameter segments used by that node only, when the losses depend
    /// on every such node row by row.
    func perExamplePlan(root: Int, rows: Int, layout: ParameterLayout) -> PerExamplePlan {
        let dependence = rowDependence(rows: rows)
        var uses = [Int](repeating: 0, count: nodes.count)
        for node in nodes {
            let (a, b, c) = operands(of: node.operation)
            if a >= 0 { uses[a] += 1 }
            if b >= 0 { uses[b] += 1 }
            if c >= 0 { uses[c] += 1 }
        }
        var segmentOfNode: [Int: Int] = [:]
        for (position, node) in parameterNodes.enumerated() where node >= 0 { segmentOfNode[node] = position }
        var onePass = [Bool](repeating: false, count: layout.segments.count)
        var plan = PerExamplePlan()
        if dependence[root] != .mixed {
            for n in nodes.indices {
                guard case let .linear(x, w, b) = nodes[n].operation, dependence[n] == .rowwise, nodes[n].shape[0] == rows else { continue }
                func owned(_ i: Int) -> ParameterSegment? {
                    guard i >= 0, uses[i] == 1, let position = segmentOfNode[i] else { return nil }
                    onePass[position] = true
                    return layout.segments[position]
                }
                let weight = owned(w), bias = owned(b)
                if weight != nil || bias != nil { plan.linears.append((n, x, weight, bias)) }
            }
        }
        for (position, segment) in layout.segments.enumerated() {
            if parameterNodes[position] < 0 {
                plan.unusedSegments.append(segment)
            } else if !onePass[position] {
                plan.loopSegments.append(segment)
            }
        }
        return plan
    }

    /// Each node's `RowDependence` on the outputs of linear ops over a batch of `rows` rows,
    /// forward over the tape. A linear op whose output has `rows` rows starts a row-wise value;
    /// ops that keep rows apart (elementwise, per-row losses, products from the right, last-axis
    /// softmax) pass it on; anything that reads across rows makes it `mixed`, and so is
    /// everything computed from a mixed value. With one row nothing can mix.
    func rowDependence(rows: Int) -> [RowDependence] {
        if rows == 1 { return [RowDependence](repeating: .rowwise, count: nodes.count) }
        var state = [RowDependence](repeating: .none, count: nodes.count)
        for n in nodes.indices {
            let node = nodes[n]
            let (a, b, c) = operands(of: node.operation)
            let worst = Swift.max(a < 0 ? .none : state[a], b < 0 ? .none : state[b], c < 0 ? .none : state[c])
            if worst == .mixed {
                state[n] = .mixed
                continue
            }
            let hasRows = node.shape.rank >= 1 && node.shape[0] == rows
            let rowwiseOnly: RowDependence = worst == .none ? .none : .mixed
            switch node.operation {
            case .leaf:
                state[n] = .none
            case .affine, .unary, .softmaxCrossEntropy, .squaredError:
                state[n] = worst // per element, or per row with one output per row
            case .add, .subtract, .multiply, .divide:
                // Broadcasting keeps rows apart when each row-wise operand's first axis is the output's.
                let aligned = (state[a] != .rowwise || nodes[a].shape.rank == node.shape.rank)
                    && (state[b] != .rowwise || nodes[b].shape.rank == node.shape.rank)
                state[n] = worst == .none ? .none : (aligned && hasRows ? .rowwise : .mixed)
            case let .matmul(x, y, transposeA, _):
                // x·y keeps x's rows apart; y's rows (or xᵀ's) are summed over.
                state[n] = state[y] == .rowwise || (state[x] == .rowwise && transposeA) ? .mixed : state[x]
            case let .linear(x, w, bias):
                if state[w] != .none || (bias >= 0 && state[bias] != .none) {
                    state[n] = .mixed
                } else {
                    state[n] = state[x] == .rowwise || hasRows ? .rowwise : .none
                }
            case .logSoftmax:
                state[n] = worst == .rowwise && node.shape.rank < 2 ? .mixed : worst
            case .reshape:
                state[n] = worst == .rowwise && !hasRows ? .mixed : worst
            case let .sumAlongAxis(_, outer, _, _, _):
                // outer < rows means the summed axis is the first (the batch).
                state[n] = worst == .rowwise && (outer < rows || !hasRows) ? .mixed : worst
            case .transpose, .gatherRows, .sum, .weightedSum:
                state[n] = rowwiseOnly
            }
        }
        return state
    }

    /// The node operands of an operation, −1 where there are fewer than three.
    func operands(of operation: TapeOperation) -> (Int, Int, Int) {
        switch operation {
        case .leaf: (-1, -1, -1)
        case let .add(a, b), let .subtract(a, b), let .multiply(a, b), let .divide(a, b): (a, b, -1)
        case let .affine(x, _): (x, -1, -1)
        case let .matmul(a, b, _, _): (a, b, -1)
        case let .linear(x, w, b): (x, w, b)
        case let .transpose(x), let .reshape(x): (x, -1, -1)
        case let .gatherRows(x, _): (x, -1, -1)
        case let .sum(x, _): (x, -1, -1)
        case let .sumAlongAxis(x, _, _, _, _): (x, -1, -1)
        case let .unary(x, _): (x, -1, -1)
        case let .logSoftmax(x): (x, -1, -1)
        case let .softmaxCrossEntropy(logits, _, _): (logits, -1, -1)
        case let .squaredError(p, t): (p, t, -1)
        case let .weightedSum(x, w): (x, w, -1)
        }
    }
}
