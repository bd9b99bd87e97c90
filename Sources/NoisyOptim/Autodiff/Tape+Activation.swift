// Tape+Activation: elementwise functions and log-softmax. Where the derivative is a function of
// the output (ReLU, tanh, sigmoid, exp, log-softmax) the pullback reads the recorded output, so
// nothing is recomputed and the input need not be kept.

extension Tape {
    func recordUnary(_ x: Variable, _ function: UnaryFunction, _ name: StaticString) -> Variable {
        let i = index(of: x, name)
        let node = nodes[i]
        let out = allocate(node.count)
        let input = node.value, count = node.count
        switch function {
        case .relu: Kernels.map(ReLUKernel.self, input, out, count: count)
        case .tanh: Kernels.map(TanhKernel.self, input, out, count: count)
        case .sigmoid: Kernels.map(SigmoidKernel.self, input, out, count: count)
        case .exp: Kernels.map(ExpKernel.self, input, out, count: count)
        case .log: Kernels.map(LogKernel.self, input, out, count: count)
        case .square: Kernels.map(SquareKernel.self, input, out, count: count)
        case .abs: Kernels.map(AbsKernel.self, input, out, count: count)
        }
        return append(.unary(i, function), shape: node.shape, value: out, requiresGradient: node.requiresGradient)
    }

    /// relu: g·[y > 0]; tanh: g·(1 − y²); sigmoid: g·y(1 − y); exp: g·y; log: g/x; x²: 2x·g;
    /// |x|: sign(x)·g (y the output, x the input; 0 is the subgradient at the kinks).
    func pullbackUnary(_ node: TapeNode, _ g: UnsafeMutablePointer<Float>, _ x: Int, _ function: UnaryFunction) {
        guard nodes[x].requiresGradient else { return }
        let input = nodes[x].value, output = node.value, count = node.count
        let (gx, accumulate) = gradientSlot(x)
        switch function {
        case .relu: Kernels.zip(ReLUPullbackKernel.self, g, aStride: 1, output, bStride: 1, gx, count: count, accumulate: accumulate)
        case .tanh: Kernels.zip(TanhPullbackKernel.self, g, aStride: 1, output, bStride: 1, gx, count: count, accumulate: accumulate)
        case .sigmoid: Kernels.zip(SigmoidPullbackKernel.self, g, aStride: 1, output, bStride: 1, gx, count: count, accumulate: accumulate)
        case .exp: Kernels.zip(MultiplyKernel.self, g, aStride: 1, output, bStride: 1, gx, count: count, accumulate: accumulate)
        case .log: Kernels.zip(DivideKernel.self, g, aStride: 1, input, bStride: 1, gx, count: count, accumulate: accumulate)
        case .square: Kernels.zip(SquarePullbackKernel.self, g, aStride: 1, input, bStride: 1, gx, count: count, accumulate: accumulate)
        case .abs: Kernels.zip(AbsPullbackKernel.self, g, aStride: 1, input, bStride: 1, gx, count: count, accumulate: accumulate)
        }
    }

    /// Rows of the last axis: (rows, width).
    func lastAxisRows(_ shape: TapeShape, _ name: StaticString) -> (rows: Int, width: Int) {
        check(shape.rank >= 1, "\(name) needs rank ≥ 1, shape is \(shape.array)")
        let width = shape[shape.rank - 1]
        return (width == 0 ? 0 : shape.count / width, width)
    }

    /// Records log softmax along the last axis: yᵢ = xᵢ − m − ln Σⱼ exp(xⱼ − m), m = maxⱼ xⱼ.
    func recordLogSoftmax(_ x: Variable) -> Variable {
        let i = index(of: x, "logSoftmax")
        let node = nodes[i]
        let (rows, width) = lastAxisRows(node.shape, "logSoftmax")
        let out = allocate(node.count)
        let input = node.value
        Parallel.forEachChunk(count: rows, minimumChunk: Swift.max(1, Kernels.parallelThreshold / Swift.max(width, 1))) { range in
            for r in range {
                let row = input + r * width
                let m = Kernels.maximum(row, count: width)
                let shift = Tensor.logSumExpShifted(row, width: width, maximum: m) + m
                withUnsafePointer(to: shift) { s in
                    Kernels.zipRange(SubtractKernel.self, row, aStride: 1, s, bStride: 0, out + r * width, range: 0..<width)
                }
            }
        }
        return append(.logSoftmax(i), shape: node.shape, value: out, requiresGradient: node.requiresGradient)
    }

    /// ∂ log softmax: gᵢ − softmaxᵢ·Σⱼ gⱼ per row, with softmax = exp(y) from the output.
    func pullbackLogSoftmax(_ node: TapeNode, _ g: UnsafeMutablePointer<Float>, _ x: Int) {
        guard nodes[x].requiresGradient else { return }
        let (rows, width) = lastAxisRows(node.shape, "logSoftmax")
        let (gx, accumulate) = gradientSlot(x)
        let y = node.value
        Parallel.forEachChunk(count: rows, minimumChunk: Swift.max(1, Kernels.parallelThreshold / Swift.max(width, 1))) { range in
            for r in range {
                let offset = r * width
                let total = Vector(repeating: Kernels.blockSum(IdentityKernel.self, g + offset, count: width))
                var j = 0
                while j + 16 <= width {
                    let v = loadVector(g + offset + j) - SIMDMath.exp(loadVector(y + offset + j)) * total
                    storeVector(accumulate ? loadVector(gx + offset + j) + v : v, gx + offset + j)
                    j += 16
                }
                if j < width {
                    let n = width - j
                    let v = loadPartialVector(g + offset + j, count: n) - SIMDMath.exp(loadPartialVector(y + offset + j, count: n)) * total
                    storePartialVector(accumulate ? loadPartialVector(gx + offset + j, count: n) + v : v, gx + offset + j, count: n)
                }
            }
        }
    }
}

// MARK: - Public functions

/// max(x, 0) elementwise; ∂ = g where the output is positive, 0 elsewhere (0 at 0).
public func relu(_ x: Variable) -> Variable { x.tape.recordUnary(x, .relu, "relu") }
/// tanh x elementwise; ∂ = g·(1 − tanh²x), from the output.
public func tanh(_ x: Variable) -> Variable { x.tape.recordUnary(x, .tanh, "tanh") }
/// σ(x) = 1/(1 + e⁻ˣ) elementwise; ∂ = g·σ(x)(1 − σ(x)), from the output.
public func sigmoid(_ x: Variable) -> Variable { x.tape.recordUnary(x, .sigmoid, "sigmoid") }
/// eˣ elementwise; ∂ = g·eˣ, from the output.
public func exp(_ x: Variable) -> Variable { x.tape.recordUnary(x, .exp, "exp") }
/// ln x elementwise; ∂ = g/x.
public func log(_ x: Variable) -> Variable { x.tape.recordUnary(x, .log, "log") }
/// x² elementwise; ∂ = 2x·g.
public func square(_ x: Variable) -> Variable { x.tape.recordUnary(x, .square, "square") }
/// |x| elementwise; ∂ = sign(x)·g (0 at 0).
public func abs(_ x: Variable) -> Variable { x.tape.recordUnary(x, .abs, "abs") }

extension Variable {
    /// log softmax along the last axis, yᵢ = xᵢ − ln Σⱼ exp xⱼ (computed with the row maximum
    /// subtracted, so nothing overflows); ∂ = g − softmax(x)·Σ g per row.
    public func logSoftmax() -> Variable { tape.recordLogSoftmax(self) }
}
