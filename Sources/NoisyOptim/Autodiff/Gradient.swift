// Gradient: the entry points — the value of a scalar function and its gradient, for a flat
// parameter vector (what the optimizers consume) or for plain tensors.

extension Tape {
    /// L(θ) and ∇L(θ), for θ a flat parameter vector laid out by `layout`.
    ///
    /// `body` builds L from the tape (`tape.parameter(segment)` gives each segment as a variable)
    /// and returns it; it must be one scalar. The gradient is a flat vector with the same layout:
    /// each segment holds ∂L/∂(that segment), zeros where L does not depend on it. An optimizer
    /// step is then one pass over one buffer.
    ///
    /// The gradient shares its buffer with this tape until the next call, which reuses the buffer
    /// if the caller no longer holds it (so a steady training loop allocates no gradient); a caller
    /// who writes to it gets a copy first, as with any `Tensor`.
    ///
    /// Each segment of the gradient is checked for NaN and ±∞ as backward finishes it, while it is
    /// in cache; a gradient found finite carries that fact, so an optimizer's `step` does not read
    /// it again for its non-finite-gradient check (a write to the gradient forgets the fact).
    public func valueWithGradient(at parameters: Tensor, in layout: ParameterLayout,
                                  _ body: (Tape) throws -> Variable) rethrows -> (value: Float, gradient: Tensor) {
        beginRecording(parameters: parameters, layout: layout)
        defer { endRecording() }
        let loss = try body(self)
        let root = index(of: loss, "valueWithGradient")
        check(nodes[root].count == 1,
                     "valueWithGradient: the loss has shape \(nodes[root].shape.array) but must be one scalar (reduce per-example losses with weightedSum, mean or sum)")
        backward(from: loss)
        return (nodes[root].value.pointee, flatGradient)
    }

    /// The value `body` computes from the parameters, without differentiating (evaluation,
    /// predictions). Runs the same ops, so it agrees exactly with `valueWithGradient`.
    public func value(at parameters: Tensor, in layout: ParameterLayout, _ body: (Tape) throws -> Variable) rethrows -> Tensor {
        beginRecording(parameters: parameters, layout: layout)
        defer { endRecording() }
        return value(of: try body(self))
    }
}

/// L(θ) and ∇L(θ) for θ a flat parameter vector laid out by `layout`, on a fresh tape; see
/// `Tape.valueWithGradient(at:in:_:)`, and keep a `Tape` to reuse its buffers across steps.
///
/// ```swift
/// var layout = ParameterLayout()
/// let w = layout.append("w", shape: [3])
/// let (loss, gradient) = valueWithGradient(at: Tensor([1, 2, 3]), in: layout) { tape in
///     square(tape.parameter(w)).sum()
/// }                                        // loss = 14, gradient = [2, 4, 6]
/// ```
public func valueWithGradient(at parameters: Tensor, in layout: ParameterLayout,
                              _ body: (Tape) throws -> Variable) rethrows -> (value: Float, gradient: Tensor) {
    try Tape().valueWithGradient(at: parameters, in: layout, body)
}

/// f(x) and ∇f(x) for a scalar function f of one tensor.
///
/// ```swift
/// let (value, gradient) = valueWithGradient(at: Tensor([1, 2, 3])) { x in (x * x).sum() }
/// // value = 14, gradient = [2, 4, 6]
/// ```
public func valueWithGradient(at x: Tensor, _ f: (Variable) throws -> Variable) rethrows -> (value: Float, gradient: Tensor) {
    try Tape().record { tape in
        let input = tape.variable(x)
        let y = try f(input)
        check(y.tapeShape.count == 1, "valueWithGradient: f returned shape \(y.shape); it must be one scalar")
        tape.backward(from: y)
        return (tape.nodes[y.index].value.pointee, tape.gradient(of: input))
    }
}

/// f(x, y) and its gradients with respect to x and y, for a scalar function of two tensors.
public func valueWithGradient(at x: Tensor, _ y: Tensor,
                              _ f: (Variable, Variable) throws -> Variable) rethrows -> (value: Float, gradient: (Tensor, Tensor)) {
    try Tape().record { tape in
        let a = tape.variable(x), b = tape.variable(y)
        let z = try f(a, b)
        check(z.tapeShape.count == 1, "valueWithGradient: f returned shape \(z.shape); it must be one scalar")
        tape.backward(from: z)
        return (tape.nodes[z.index].value.pointee, (tape.gradient(of: a), tape.gradient(of: b)))
    }
}

/// ∇f(x) for a scalar function f of one tensor.
public func gradient(at x: Tensor, _ f: (Variable) throws -> Variable) rethrows -> Tensor {
    try valueWithGradient(at: x, f).gradient
}
