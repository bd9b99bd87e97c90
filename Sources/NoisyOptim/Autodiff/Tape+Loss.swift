// Tape+Loss: per-example losses (a vector ℓ with one entry per example) and the weighted sum
// Σᵢ wᵢℓᵢ that turns them into the loss of a step for a sampling vector W.
//
// Softmax cross-entropy is fused: its pullback is g·(softmax − onehot), read from the softmax
// kept by the forward, instead of a chain of log-softmax, gather and negation nodes.

extension Tape {
    /// Records ℓᵢ = ln Σⱼ exp xᵢⱼ − xᵢ,yᵢ for the rows of `logits` (batch × classes), with the
    /// label of row i given by `label(i)`.
    func recordSoftmaxCrossEntropy(_ logits: Variable, labelCount: Int, label: (Int) -> Int) -> Variable {
        let i = index(of: logits, "softmaxCrossEntropy")
        let node = nodes[i]
        check(node.shape.rank == 2, "softmaxCrossEntropy needs batch × classes logits, shape is \(node.shape.array)")
        let rows = node.shape[0], classes = node.shape[1]
        check(labelCount == rows, "softmaxCrossEntropy: \(labelCount) labels for logits of shape \(node.shape.array)")
        let labelsStart = integers.count
        for r in 0..<rows {
            let y = label(r)
            check(y >= 0 && y < classes, "softmaxCrossEntropy: label \(y) of row \(r) is outside 0..<\(classes)")
            integers.append(y)
        }
        let probabilities = allocate(node.count)
        let losses = allocate(rows)
        let x = node.value
        // One exp per logit: e = exp(x − m) gives both Σe (the loss is ln Σe + (m − x_y), bracketed
        // so that large logits cancel exactly before the small term is added) and the softmax
        // e/Σe kept for the pullback. The exp runs once over the whole batch, in full vectors: with
        // few classes, row-by-row vector calls would be mostly padded tails.
        let maxima = allocate(rows)
        for r in 0..<rows {
            let row = x + r * classes, p = probabilities + r * classes
            var m = classes >= 16 ? Kernels.maximum(row, count: classes) : row[0]
            if classes < 16 { for j in 1..<Swift.max(classes, 1) where row[j] > m || row[j].isNaN { m = row[j] } }
            if !m.isFinite { m = 0 } // ±∞ or NaN logits: let them propagate as values
            maxima[r] = m
            for j in 0..<classes { p[j] = row[j] - m }
        }
        Kernels.map(ExpKernel.self, probabilities, probabilities, count: node.count)
        for r in 0..<rows {
            let p = probabilities + r * classes
            var total: Float = 0
            if classes >= 16 { total = Kernels.blockSum(IdentityKernel.self, p, count: classes) } else { for j in 0..<classes { total += p[j] } }
            for j in 0..<classes { p[j] /= total }
            losses[r] = total
        }
        Kernels.map(LogKernel.self, losses, losses, count: rows)
        integers.withUnsafeBufferPointer { labels in
            for r in 0..<rows { losses[r] += maxima[r] - x[r * classes + labels[labelsStart + r]] }
        }
        var shape = TapeShape(rank: 1)
        shape[0] = rows
        return append(.softmaxCrossEntropy(logits: i, probabilities: probabilities, labelsStart: labelsStart),
                      shape: shape, value: losses, requiresGradient: node.requiresGradient)
    }

    /// ∂ℓᵢ/∂xᵢ = softmax(xᵢ) − onehot(yᵢ), scaled by gᵢ.
    func pullbackSoftmaxCrossEntropy(_ node: TapeNode, _ g: UnsafeMutablePointer<Float>, _ logits: Int,
                                     _ probabilities: UnsafeMutablePointer<Float>, labelsStart: Int) {
        guard nodes[logits].requiresGradient else { return }
        let rows = node.shape[0], classes = nodes[logits].shape[1]
        let (gx, accumulate) = gradientSlot(logits)
        integers.withUnsafeBufferPointer { labels in
            for r in 0..<rows {
                let p = probabilities + r * classes, out = gx + r * classes, scale = g[r]
                if accumulate {
                    for j in 0..<classes { out[j] += scale * p[j] }
                } else {
                    for j in 0..<classes { out[j] = scale * p[j] }
                }
                out[labels[labelsStart + r]] -= scale
            }
        }
    }

    /// Records ℓᵢ = Σⱼ (pᵢⱼ − tᵢⱼ)² over the rows (first dimension) of predictions and targets.
    func recordSquaredError(_ predictions: Variable, _ targets: Variable) -> Variable {
        let i = index(of: predictions, "squaredError"), j = index(of: targets, "squaredError")
        let p = nodes[i], t = nodes[j]
        check(p.shape == t.shape, "squaredError: predictions \(p.shape.array) and targets \(t.shape.array) must have the same shape")
        let (rows, width) = exampleRows(p.shape, "squaredError")
        let losses = allocate(rows)
        for r in 0..<rows { losses[r] = Kernels.squaredDistance(p.value + r * width, t.value + r * width, count: width) }
        var shape = TapeShape(rank: 1)
        shape[0] = rows
        return append(.squaredError(i, j), shape: shape, value: losses, requiresGradient: p.requiresGradient || t.requiresGradient)
    }

    /// ∂ℓᵢ/∂pᵢ = 2(pᵢ − tᵢ) and ∂ℓᵢ/∂tᵢ = −2(pᵢ − tᵢ), scaled by gᵢ.
    func pullbackSquaredError(_ node: TapeNode, _ g: UnsafeMutablePointer<Float>, _ p: Int, _ t: Int) {
        let (rows, width) = exampleRows(nodes[p].shape, "squaredError")
        let pv = nodes[p].value, tv = nodes[t].value
        // A loop over [(p, 2), (t, −2)] would allocate the array every step; two calls do not.
        func accumulate(into target: Int, sign: Float) {
            guard nodes[target].requiresGradient else { return }
            let (gt, accumulate) = gradientSlot(target)
            for r in 0..<rows {
                Kernels.scaledDifference(pv + r * width, tv + r * width, scale: sign * g[r], gt + r * width,
                                         count: width, accumulate: accumulate)
            }
        }
        accumulate(into: p, sign: 2)
        accumulate(into: t, sign: -2)
    }

    /// Rows of the first dimension: one per example.
    func exampleRows(_ shape: TapeShape, _ name: StaticString) -> (rows: Int, width: Int) {
        check(shape.rank >= 1, "\(name) needs one row per example (rank ≥ 1), shape is \(shape.array)")
        var width = 1
        for d in 1..<shape.rank { width *= shape[d] }
        return (shape[0], width)
    }

    /// Records Σᵢ wᵢxᵢ, a scalar.
    func recordWeightedSum(_ values: Variable, _ weights: Variable) -> Variable {
        let i = index(of: values, "weightedSum"), j = index(of: weights, "weightedSum")
        let x = nodes[i], w = nodes[j]
        check(x.shape == w.shape, "weightedSum: values \(x.shape.array) and weights \(w.shape.array) must have the same shape")
        let out = allocate(1)
        out.pointee = Float(Kernels.dot(x.value, w.value, count: x.count))
        return append(.weightedSum(i, weights: j), shape: .scalar, value: out, requiresGradient: x.requiresGradient || w.requiresGradient)
    }

    /// ∂(Σ wᵢxᵢ): g·w to the values, g·x to the weights.
    func pullbackWeightedSum(_ node: TapeNode, _ g: UnsafeMutablePointer<Float>, _ x: Int, _ w: Int) {
        let count = nodes[x].count
        if nodes[x].requiresGradient {
            let (gx, accumulate) = gradientSlot(x)
            Kernels.zip(MultiplyKernel.self, nodes[w].value, aStride: 1, g, bStride: 0, gx, count: count, accumulate: accumulate)
        }
        if nodes[w].requiresGradient {
            let (gw, accumulate) = gradientSlot(w)
            Kernels.zip(MultiplyKernel.self, nodes[x].value, aStride: 1, g, bStride: 0, gw, count: count, accumulate: accumulate)
        }
    }
}

// MARK: - Public functions

/// Per-example softmax cross-entropy, ℓᵢ = −log softmax(xᵢ)_yᵢ = ln Σⱼ exp xᵢⱼ − xᵢ,yᵢ, for
/// logits of shape batch × classes and one label in 0..<classes per row. Returns the vector ℓ
/// (shape [batch]); reduce it with `weightedSum(_:weights:)`, `mean()` or `sum()`.
///
/// Fused: ∂ℓᵢ/∂xᵢ = softmax(xᵢ) − onehot(yᵢ), from the softmax kept by the forward.
public func softmaxCrossEntropy(logits: Variable, labels: [Int]) -> Variable {
    logits.tape.recordSoftmaxCrossEntropy(logits, labelCount: labels.count) { labels[$0] }
}

/// Which of the two usual scalings a squared-error loss uses.
public enum SquaredErrorConvention: String, Codable, Sendable, CaseIterable {
    /// ℓᵢ = ‖pᵢ − tᵢ‖² = Σⱼ (pᵢⱼ − tᵢⱼ)², gradient 2(pᵢ − tᵢ) (PyTorch's `MSELoss(reduction="sum")` per row).
    case sum
    /// ℓᵢ = ½‖pᵢ − tᵢ‖², gradient pᵢ − tᵢ (the least-squares convention of most papers).
    case half
}

/// Per-example squared error over the rows (first dimension) of two tensors of the same shape:
/// ℓᵢ = Σⱼ (pᵢⱼ − tᵢⱼ)² (`.sum`) or ½Σⱼ (pᵢⱼ − tᵢⱼ)² (`.half`); for rank-1 inputs ℓᵢ = (pᵢ − tᵢ)²
/// or ½(pᵢ − tᵢ)². Returns a vector of one loss per row. For `.sum`, ∂ℓᵢ/∂pᵢ = 2(pᵢ − tᵢ) and
/// ∂ℓᵢ/∂tᵢ = −2(pᵢ − tᵢ); `.half` halves both.
public func squaredError(predictions: Variable, targets: Variable, convention: SquaredErrorConvention) -> Variable {
    let losses = predictions.tape.recordSquaredError(predictions, targets)
    return convention == .sum ? losses : losses * 0.5
}

/// `squaredError(predictions:targets:convention:)` against constant targets.
public func squaredError(predictions: Variable, targets: Tensor, convention: SquaredErrorConvention) -> Variable {
    squaredError(predictions: predictions, targets: predictions.tape.constant(targets), convention: convention)
}

/// Σᵢ wᵢxᵢ for values and weights of the same shape: the loss Σᵢ Wᵢℓᵢ of a sampling vector W
/// from per-example losses ℓ. ∂/∂x = g·w, ∂/∂w = g·x.
public func weightedSum(_ values: Variable, weights: Variable) -> Variable {
    values.tape.recordWeightedSum(values, weights)
}

/// Σᵢ wᵢxᵢ with constant weights (as many as `values` has scalars).
public func weightedSum(_ values: Variable, weights: [Float]) -> Variable {
    let tape = values.tape
    let shape = values.tapeShape
    check(weights.count == shape.count, "weightedSum: \(weights.count) weights for values of shape \(shape.array)")
    let w = weights.withUnsafeBufferPointer { tape.constant($0, shape: shape) }
    return tape.recordWeightedSum(values, w)
}

/// Σᵢ wᵢxᵢ with a constant weight tensor of the same shape as `values`.
public func weightedSum(_ values: Variable, weights: Tensor) -> Variable {
    values.tape.recordWeightedSum(values, values.tape.constant(weights))
}
