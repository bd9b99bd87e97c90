// PerExampleObjective: the loss, its gradient and the per-example gradients at a point for a
// sampling vector W — what DP-SGD (clip each ∇ℓᵢ, sum, add noise) and gradient-noise diagnostics
// step with — and how to build one from per-example losses written on a tape.

/// Evaluates L(point) = Σᵢ Wᵢℓᵢ(point), ∇L(point) and the per-example gradients ∇ℓᵢ(point) of
/// the entries of `weights` with a non-zero weight, computing what `request` asks for (the
/// B × P matrix, DP-SGD's clipped sum; the squared norms ‖∇ℓᵢ‖² always).
///
/// `gradient` is what the `Objective` of the same model returns (Σᵣ Wᵣ·rowᵣ), and
/// `perExample` holds the unweighted rows ∇ℓᵢ (see `PerExampleGradients`).
public typealias PerExampleObjective = (_ point: Tensor, _ weights: SampleWeights, _ request: PerExampleRequest) throws
    -> (loss: Float, gradient: Tensor, perExample: PerExampleGradients)

/// The `PerExampleObjective` of per-example losses written on a tape: called with a point θ
/// (laid out by `layout`), a sampling vector W and a request, it records
/// `losses(tape, examples)` — the vector of unreduced losses ℓ of `examples`, W's indices with a
/// non-zero weight — and returns L = Σᵢ Wᵢℓᵢ, ∇L and the per-example gradients
/// (`Tape.valueWithPerExampleGradients(at:in:examples:weights:computing:_:)`).
///
/// Linear layers and products x·W get their per-example gradients from the one backward pass (Goodfellow 2015,
/// "Efficient Per-Example Gradient Computations"); other parameters from `losses(tape, [i])`
/// for each example alone, so `losses` must accept any list of examples. The closure owns one
/// `Tape` and reuses its buffers (one thread at a time).
///
/// ```swift
/// let f = perExampleObjective(in: layout) { tape, examples in
///     let rows = tape.constant(x).gatheringRows(examples)
///     return squaredError(predictions: matmul(rows, tape.parameter(theta)),
///                         targets: tape.constant(y).gatheringRows(examples), convention: .half)
/// }
/// let (loss, gradient, perExample) = try f(θ, w, .clipped(toNorm: 1))
/// ```
public func perExampleObjective(in layout: ParameterLayout,
                                _ losses: @escaping (_ tape: Tape, _ examples: [Int]) throws -> Variable) -> PerExampleObjective {
    let tape = Tape()
    return { point, weights, request in
        let result = try tape.valueWithPerExampleGradients(at: point, in: layout, examples: weights.indices,
                                                           weights: weights.weights, computing: request) {
            try losses($0, $1)
        }
        return (result.value, result.gradient, result.perExample)
    }
}
