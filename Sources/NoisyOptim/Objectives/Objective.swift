// Objective: the loss and gradient at a point for a sampling vector W, the function an optimizer
// steps with, and how to build one from a loss written on a tape. It sits above Autodiff (it
// records on a tape) and Sampling (it takes W), below the optimizers that call it.

/// Evaluates the loss and its gradient at `point` for the sampling vector `weights`:
/// L(point) = Σᵢ Wᵢ ℓᵢ(point) and ∇L(point), the gradient a flat rank-1 tensor laid out like the
/// parameters. The optimizer chooses both arguments: `point` is θ, or θ + ξ for parameter
/// perturbation; `weights` come from its sampling scheme.
public typealias Objective = (_ point: Tensor, _ weights: SampleWeights) throws -> (loss: Float, gradient: Tensor)

/// The `Objective` an optimizer steps with, from a loss written on a tape: called with a point θ
/// (laid out by `layout`) and a sampling vector W, it records `loss(tape, W)` at θ and returns
/// the loss and its flat gradient.
///
/// The closure owns one `Tape` and reuses its buffers on every call (so it is meant for one
/// thread at a time). `MLP.objective(inputs:labels:)` is built this way; for another model:
///
/// ```swift
/// let f = objective(in: layout) { tape, weights in
///     let rows = tape.constant(x).gatheringRows(weights.indices)
///     let residuals = squaredError(predictions: matmul(rows, tape.parameter(theta)), targets: ..., convention: .sum)
///     return weightedSum(residuals, weights: weights.weights)
/// }
/// ```
public func objective(in layout: ParameterLayout,
                      _ loss: @escaping (_ tape: Tape, _ weights: SampleWeights) throws -> Variable) -> Objective {
    let tape = Tape()
    return { point, weights in
        let result = try tape.valueWithGradient(at: point, in: layout) { tape in try loss(tape, weights) }
        return (result.value, result.gradient)
    }
}
