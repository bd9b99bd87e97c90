// PerExampleGradients: what a per-example evaluation is asked for (`PerExampleRequest`) and what
// it returns — the rows ∇ℓᵢ, their squared norms, DP-SGD's clipped sum — with the readings users
// need (a row, one segment's rows, the gradient-noise estimates of McCandlish et al. 2018).

/// What a per-example evaluation computes besides the loss, its gradient and the per-example
/// squared norms ‖∇ℓᵢ‖² (always computed: they cost O(B·(inputs + outputs)) per layer).
public struct PerExampleRequest: Sendable, Hashable {
    /// Whether to fill the B × P matrix whose row i is ∇ℓᵢ (B·P floats of memory traffic).
    public let includesMatrix: Bool
    /// When set to C, also compute DP-SGD's clipped sum Σᵢ Wᵢ·min(1, C/‖∇ℓᵢ‖)·∇ℓᵢ (Abadi et al.
    /// 2016), without the matrix. With Wᵢ = 1/(expected batch size) on the sampled examples this
    /// is DP-SGD's clipped mean, to which the noise N(0, σ²C²)/(expected batch size) is added.
    public let clippingNorm: Float?

    /// Whether to form the unclipped gradient Σᵢ Wᵢ·∇ℓᵢ. DP-SGD only needs the clipped sum, and
    /// skipping the other saves one weight GEMM per layer (a third of a backward pass); the
    /// evaluation then returns the clipped sum as its gradient. Requires a clipping norm when false.
    public let includesGradient: Bool

    /// A request; `clippingNorm` must be positive and finite when set, and set when
    /// `includesGradient` is false.
    public init(includesMatrix: Bool = true, clippingNorm: Float? = nil, includesGradient: Bool = true) {
        if let clippingNorm {
            check(clippingNorm > 0 && clippingNorm.isFinite, "the clipping norm C must be positive and finite, got \(clippingNorm)")
        }
        check(includesGradient || clippingNorm != nil, "a request without the gradient must ask for the clipped sum (a clipping norm)")
        self.includesMatrix = includesMatrix
        self.clippingNorm = clippingNorm
        self.includesGradient = includesGradient
    }

    /// The B × P matrix of per-example gradients (and their squared norms).
    public static let matrix = PerExampleRequest(includesMatrix: true)
    /// Only the per-example squared norms (noise diagnostics: tr(Σ) from Σᵢ‖∇ℓᵢ‖²).
    public static let squaredNorms = PerExampleRequest(includesMatrix: false)
    /// The clipped sum Σᵢ Wᵢ·min(1, C/‖∇ℓᵢ‖)·∇ℓᵢ and the squared norms, matrix optional; without
    /// the unclipped gradient when `includesGradient` is false (then `gradient` is the clipped sum).
    public static func clipped(toNorm norm: Float, includesMatrix: Bool = false, includesGradient: Bool = true) -> PerExampleRequest {
        PerExampleRequest(includesMatrix: includesMatrix, clippingNorm: norm, includesGradient: includesGradient)
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
/// examples, and for W in a product x·W over those rows (Goodfellow 2015); `loopSegments` lists
/// the segments that were not, and were computed by recording each example alone.
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
    /// no longer holds it (as the flat gradient does); the tape keeps those B·P floats for reuse
    /// as long as it lives.
    public let matrix: Tensor?
    /// The clipping norm C of the request, if any.
    public let clippingNorm: Float?
    /// Σᵢ Wᵢ·min(1, C/‖∇ℓᵢ‖)·∇ℓᵢ, a flat vector like the gradient; nil without a clipping norm.
    public let clippedGradient: Tensor?
    /// The segments that the one-pass identity did not cover (used by an elementwise op, as the
    /// left factor or transposed in a `matmul`, used twice, over several rows per example, or in
    /// a loss that mixes examples): evaluated by a loop of B recordings of one example each, so
    /// they cost about B small forward and backward passes.
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
        let meanSquared = Kernels.dot(mean.storage.pointer, mean.storage.pointer, count: mean.count)
        return PerExampleGradients.noiseEstimates(meanSquared: meanSquared, squaredNorms: squaredNorms)
    }

    /// The unbiased |G|² and tr(Σ) of b ≥ 2 rows from ‖ḡ‖² and the rows' squared norms (whose
    /// mean is S): (b‖ḡ‖² − S)/(b − 1) and (S − ‖ḡ‖²)·b/(b − 1).
    static func noiseEstimates(meanSquared: Double, squaredNorms: [Float]) -> (squaredGradientNorm: Double, traceOfCovariance: Double) {
        let b = Double(squaredNorms.count)
        let s = squaredNorms.reduce(0.0) { $0 + Double($1) } / b
        return ((b * meanSquared - s) / (b - 1), (s - meanSquared) * b / (b - 1))
    }
}
