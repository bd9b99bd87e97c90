// Tensor+Creation: tensors from scalars, constants and ranges.

extension Tensor {
    /// A tensor of `shape` with every scalar equal to `value`.
    public init(shape: [Int], repeating value: Float) {
        self.init(uninitializedShape: shape)
        storage.pointer.initialize(repeating: value, count: count)
    }

    /// A tensor of `shape` holding `scalars` in row-major order.
    public init(shape: [Int], scalars: [Float]) {
        let expected = Tensor.elementCount(of: shape)
        check(scalars.count == expected, "\(scalars.count) scalars cannot fill shape \(shape) (\(expected) needed)")
        self.init(uninitializedShape: shape)
        scalars.withUnsafeBufferPointer { storage.pointer.initialize(from: $0.baseAddress!, count: expected) }
    }

    /// A rank-1 tensor holding `scalars`.
    public init(_ scalars: [Float]) {
        self.init(shape: [scalars.count], scalars: scalars)
    }

    /// A rank-2 tensor from equally long rows.
    public init(_ rows: [[Float]]) {
        let width = rows.first?.count ?? 0
        for (i, row) in rows.enumerated() {
            check(row.count == width, "row \(i) has \(row.count) scalars, row 0 has \(width)")
        }
        self.init(shape: [rows.count, width], scalars: rows.flatMap { $0 })
    }

    /// A rank-0 (scalar) tensor.
    public init(scalar: Float) {
        self.init(shape: [], repeating: scalar)
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

    /// A tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

    /// The n×n identity matrix.
    public static func identity(_ n: Int) -> Tensor {
        var result = zeros([n, n])
        result.withUnsafeMutableBufferPointer { for i in 0..<n { $0[i * n + i] = 1 } }
        return result
    }

    /// `count` evenly spaced values from `start` through `end` inclusive.
    public static func linearSpace(from start: Float, through end: Float, count: Int) -> Tensor {
        check(count >= 0, "linearSpace needs a non-negative count, got \(count)")
        let step = count > 1 ? (end - start) / Float(count - 1) : 0
        return Tensor((0..<count).map { start + Float($0) * step })
    }
}
