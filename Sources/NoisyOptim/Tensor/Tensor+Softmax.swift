// Tensor+Softmax: softmax and log-softmax along the last axis, computed stably row by row.

extension Tensor {
    /// log softmax(x)ᵢ = xᵢ − m − ln Σⱼ exp(xⱼ − m), m = maxⱼ xⱼ, along the last axis.
    /// Subtracting the row maximum keeps every exponent ≤ 0, so nothing overflows.
    public func logSoftmax() -> Tensor {
        rowwise { x, out, width in
            let m = Kernels.maximum(x, count: width)
            let shift = Tensor.logSumExpShifted(x, width: width, maximum: m) + m
            withUnsafePointer(to: shift) { shift in
                Kernels.zipRange(SubtractKernel.self, x, aStride: 1, shift, bStride: 0, out, range: 0..<width)
            }
        }
    }

    /// softmax(x)ᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m) along the last axis.
    public func softmax() -> Tensor {
        rowwise { x, out, width in
            var m = Kernels.maximum(x, count: width)
            withUnsafePointer(to: m) { mp in
                Kernels.zipRange(SubtractKernel.self, x, aStride: 1, mp, bStride: 0, out, range: 0..<width)
            }
            Kernels.map(ExpKernel.self, out, out, count: width)
            m = Float(Kernels.sum(IdentityKernel.self, out, count: width))
            withUnsafePointer(to: m) { total in
                Kernels.zipRange(DivideKernel.self, out, aStride: 1, total, bStride: 0, out, range: 0..<width)
            }
        }
    }

    /// ln Σⱼ exp(xⱼ − m) for one row, 16 lanes at a time.
    static func logSumExpShifted(_ x: UnsafePointer<Float>, width: Int, maximum m: Float) -> Float {
        if m == -.infinity || m.isNaN { return m.isNaN ? .nan : 0 }
        let shift = Vector(repeating: m)
        var total = Vector()
        var j = 0
        while j + 16 <= width {
            total += SIMDMath.exp(loadVector(x + j) - shift)
            j += 16
        }
        if j < width {
            // Pad with −∞ so padding lanes contribute exp(−∞) = 0.
            total += SIMDMath.exp(loadPartialVector(x + j, count: width - j, padding: -.infinity) - shift)
        }
        return SIMDMath.log(Vector(repeating: total.sum()))[0]
    }

    /// Applies `body(row, outRow, width)` to every row of the last axis, rows in parallel.
    private func rowwise(_ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> Tensor {
        check(rank >= 1, "softmax needs rank ≥ 1, shape is \(shape)")
        let width = shape[rank - 1]
        let rows = width == 0 ? 0 : count / width
        let result = Tensor(uninitializedShape: shape)
        let out = result.storage.pointer
        withUnsafeBufferPointer { buffer in
            let x = buffer.baseAddress!
            Parallel.forEachChunk(count: rows, minimumChunk: Swift.max(1, Kernels.parallelThreshold / Swift.max(width, 1))) { range in
                for r in range { body(x + r * width, out + r * width, width) }
            }
        }
        return result
    }
}
