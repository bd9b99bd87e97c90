// Tape+Arithmetic: +, −, ×, ÷ with broadcasting (pullbacks sum over the broadcast dimensions),
// and scalar affine maps.

extension Tape {
    /// Records out = K(a, b) broadcast.
    func binary<K: BinaryKernel>(_: K.Type, _ operation: (Int, Int) -> TapeOperation,
                                 _ a: Variable, _ b: Variable, _ name: StaticString) -> Variable {
        let i = index(of: a, name)
        let j = index(of: b, name)
        let x = nodes[i], y = nodes[j]
        let shape = broadcastShape(x.shape, y.shape, name)
        let out = allocate(shape.count)
        broadcastZip(K.self, x.value, x.shape, y.value, y.shape, out, shape)
        return append(operation(i, j), shape: shape, value: out, requiresGradient: x.requiresGradient || y.requiresGradient)
    }

    /// ∂(a ± b): g to a, ±g to b, each summed over its broadcast dimensions.
    func pullbackAdd(_ node: TapeNode, _ g: UnsafeMutablePointer<Float>, _ a: Int, _ b: Int, subtract: Bool) {
        if nodes[a].requiresGradient { accumulateReduced(g, node.shape, into: a, negate: false) }
        if nodes[b].requiresGradient { accumulateReduced(g, node.shape, into: b, negate: subtract) }
    }

    /// ∂(a·b): g·b to a, g·a to b.
    func pullbackMultiply(_ node: TapeNode, _ g: UnsafeMutablePointer<Float>, _ a: Int, _ b: Int) {
        if nodes[a].requiresGradient { accumulateZip(MultiplyKernel.self, g, node.shape, nodes[b].value, nodes[b].shape, into: a) }
        if nodes[b].requiresGradient { accumulateZip(MultiplyKernel.self, g, node.shape, nodes[a].value, nodes[a].shape, into: b) }
    }

    /// ∂(a/b): g/b to a, −g·(a/b)/b to b (a/b is the recorded output, so a is not re-read).
    func pullbackDivide(_ node: TapeNode, _ g: UnsafeMutablePointer<Float>, _ a: Int, _ b: Int) {
        if nodes[a].requiresGradient { accumulateZip(DivideKernel.self, g, node.shape, nodes[b].value, nodes[b].shape, into: a) }
        if nodes[b].requiresGradient {
            let gq = allocate(node.count)
            Kernels.zip(MultiplyKernel.self, g, aStride: 1, node.value, bStride: 1, gq, count: node.count)
            accumulateZip(NegatedQuotientKernel.self, gq, node.shape, nodes[b].value, nodes[b].shape, into: b)
        }
    }

    /// Records scale·x + shift.
    func affine(_ x: Variable, scale: Float, shift: Float, _ name: StaticString) -> Variable {
        let i = index(of: x, name)
        let node = nodes[i]
        let out = allocate(node.count)
        withUnsafePointer(to: scale) { s in
            Kernels.zip(MultiplyKernel.self, node.value, aStride: 1, s, bStride: 0, out, count: node.count)
        }
        if shift != 0 {
            withUnsafePointer(to: shift) { t in
                Kernels.zip(AddKernel.self, out, aStride: 1, t, bStride: 0, out, count: node.count)
            }
        }
        return append(.affine(i, scale: scale), shape: node.shape, value: out, requiresGradient: node.requiresGradient)
    }

    /// ∂(s·x + t) = s·g.
    func pullbackAffine(_ node: TapeNode, _ g: UnsafeMutablePointer<Float>, _ x: Int, scale: Float) {
        guard nodes[x].requiresGradient else { return }
        let (gx, accumulate) = gradientSlot(x)
        withUnsafePointer(to: scale) { s in
            Kernels.zip(MultiplyKernel.self, g, aStride: 1, s, bStride: 0, gx, count: node.count, accumulate: accumulate)
        }
    }

    /// A scalar constant in the arena.
    func scalarConstant(_ value: Float) -> Variable {
        withUnsafePointer(to: value) { constant(UnsafeBufferPointer(start: $0, count: 1), shape: .scalar) }
    }
}

// MARK: - Operators

extension Variable {
    /// Elementwise sum with broadcasting; ∂/∂a = g and ∂/∂b = g, each summed over the
    /// dimensions it was broadcast along.
    public static func + (lhs: Variable, rhs: Variable) -> Variable { lhs.tape.binary(AddKernel.self, TapeOperation.add, lhs, rhs, "+") }
    /// Elementwise difference with broadcasting; ∂/∂a = g, ∂/∂b = −g.
    public static func - (lhs: Variable, rhs: Variable) -> Variable { lhs.tape.binary(SubtractKernel.self, TapeOperation.subtract, lhs, rhs, "-") }
    /// Elementwise product with broadcasting; ∂/∂a = g·b, ∂/∂b = g·a.
    public static func * (lhs: Variable, rhs: Variable) -> Variable { lhs.tape.binary(MultiplyKernel.self, TapeOperation.multiply, lhs, rhs, "*") }
    /// Elementwise quotient with broadcasting; ∂/∂a = g/b, ∂/∂b = −g·a/b².
    public static func / (lhs: Variable, rhs: Variable) -> Variable { lhs.tape.binary(DivideKernel.self, TapeOperation.divide, lhs, rhs, "/") }

    /// x + c.
    public static func + (lhs: Variable, rhs: Float) -> Variable { lhs.tape.affine(lhs, scale: 1, shift: rhs, "+") }
    /// c + x.
    public static func + (lhs: Float, rhs: Variable) -> Variable { rhs.tape.affine(rhs, scale: 1, shift: lhs, "+") }
    /// x − c.
    public static func - (lhs: Variable, rhs: Float) -> Variable { lhs.tape.affine(lhs, scale: 1, shift: -rhs, "-") }
    /// c − x.
    public static func - (lhs: Float, rhs: Variable) -> Variable { rhs.tape.affine(rhs, scale: -1, shift: lhs, "-") }
    /// c·x.
    public static func * (lhs: Variable, rhs: Float) -> Variable { lhs.tape.affine(lhs, scale: rhs, shift: 0, "*") }
    /// c·x.
    public static func * (lhs: Float, rhs: Variable) -> Variable { rhs.tape.affine(rhs, scale: lhs, shift: 0, "*") }
    /// x / c, computed as x·(1/c) (within 1 ULP of the quotient).
    public static func / (lhs: Variable, rhs: Float) -> Variable { lhs.tape.affine(lhs, scale: 1 / rhs, shift: 0, "/") }
    /// c / x elementwise.
    public static func / (lhs: Float, rhs: Variable) -> Variable { rhs.tape.scalarConstant(lhs) / rhs }
    /// −x.
    public static prefix func - (x: Variable) -> Variable { x.tape.affine(x, scale: -1, shift: 0, "-") }

    /// x + t for a constant tensor t (broadcasting).
    public static func + (lhs: Variable, rhs: Tensor) -> Variable { lhs + lhs.tape.constant(rhs) }
    /// t + x for a constant tensor t (broadcasting).
    public static func + (lhs: Tensor, rhs: Variable) -> Variable { rhs.tape.constant(lhs) + rhs }
    /// x − t for a constant tensor t (broadcasting).
    public static func - (lhs: Variable, rhs: Tensor) -> Variable { lhs - lhs.tape.constant(rhs) }
    /// t − x for a constant tensor t (broadcasting).
    public static func - (lhs: Tensor, rhs: Variable) -> Variable { rhs.tape.constant(lhs) - rhs }
    /// x ⊙ t for a constant tensor t (broadcasting).
    public static func * (lhs: Variable, rhs: Tensor) -> Variable { lhs * lhs.tape.constant(rhs) }
    /// t ⊙ x for a constant tensor t (broadcasting).
    public static func * (lhs: Tensor, rhs: Variable) -> Variable { rhs.tape.constant(lhs) * rhs }
    /// x / t for a constant tensor t (broadcasting).
    public static func / (lhs: Variable, rhs: Tensor) -> Variable { lhs / lhs.tape.constant(rhs) }
    /// t / x for a constant tensor t (broadcasting).
    public static func / (lhs: Tensor, rhs: Variable) -> Variable { rhs.tape.constant(lhs) / rhs }
}
