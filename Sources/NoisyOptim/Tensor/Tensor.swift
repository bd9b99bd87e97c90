// Tensor: a dense Float32 array, row-major and contiguous, with copy-on-write value semantics.

/// A dense, row-major, contiguous array of `Float` with copy-on-write value semantics.
///
/// A copy shares storage until either side writes, so passing tensors around is cheap and a copy
/// never sees a later write to the original. Shapes are checked at every operation; a mismatch
/// stops with a message naming both shapes.
///
/// ```swift
/// var x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
/// let y = x * 2 + Tensor([10, 20, 30])   // the row vector broadcasts over both rows
/// x[1, 2] = 0                            // y is unaffected
/// ```
public struct Tensor: Sendable {
    /// The size of each dimension; `[]` for a scalar.
    public private(set) var shape: [Int]
    var storage: TensorStorage

    /// Creates a tensor of `shape` whose scalars are uninitialized; kernels fill it.
    init(uninitializedShape shape: [Int]) {
        self.shape = shape
        self.storage = TensorStorage(count: Tensor.elementCount(of: shape))
    }

    init(shape: [Int], storage: TensorStorage) {
        self.shape = shape
        self.storage = storage
    }

    /// The number of scalars: the product of `shape` (1 for a scalar tensor).
    public var count: Int { storage.count }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The scalars in row-major order.
    public var scalars: [Float] {
        withUnsafeBufferPointer { Array($0) }
    }

    /// The only scalar of a one-element tensor.
    public var scalar: Float {
        check(count == 1, "scalar needs a one-element tensor, shape is \(shape)")
        return storage.pointer[0]
    }

    /// Calls `body` with the scalars in row-major order.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) {
            try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
        }
    }

    /// Calls `body` with mutable access to the scalars, copying them first if the storage is shared.
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        makeUnique()
        return try withExtendedLifetime(storage) {
            try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
        }
    }

    /// Makes the storage this tensor's alone, copying it if shared, and forgets that its scalars
    /// were known finite: every write to a tensor's scalars goes through here (the subscript,
    /// `withUnsafeMutableBufferPointer`, the in-place operators, `setSlice`, state buffers opened
    /// for a step), so no write can leave a stale `knownFinite` behind. A copy starts unflagged,
    /// and the storage it leaves behind keeps its flag, which is still true of its scalars.
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { copyStorage() }
        storage.knownFinite = false
    }

    /// Whether every scalar is known to be finite (no NaN, no ±∞) without reading them: true only
    /// when whoever wrote them also checked them, as the tape does for the gradients it returns;
    /// false means "not known", not "not finite". (Package-visible for the bench, which checks that
    /// it times a flagged gradient.)
    package var isKnownFinite: Bool { storage.knownFinite }

    @inline(never)
    mutating func copyStorage() {
        let copy = TensorStorage(count: storage.count)
        copy.pointer.update(from: storage.pointer, count: storage.count)
        storage = copy
    }

    /// The scalar at `indices`, one index per dimension.
    public subscript(indices: Int...) -> Float {
        get { storage.pointer[offset(of: indices)] }
        set {
            let i = offset(of: indices)
            makeUnique()
            storage.pointer[i] = newValue
        }
    }

    func offset(of indices: [Int]) -> Int {
        check(indices.count == shape.count, "\(indices.count) indices for a tensor of shape \(shape)")
        var offset = 0
        for (index, size) in zip(indices, shape) {
            check(index >= 0 && index < size, "index \(indices) out of range for shape \(shape)")
            offset = offset * size + index
        }
        return offset
    }

    /// The product of `shape`, or nil if a size is negative or the product overflows (a decoded
    /// shape can be anything).
    static func checkedElementCount(of shape: [Int]) -> Int? {
        var count = 1
        for size in shape {
            guard size >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            if overflow { return nil }
            count = product
        }
        return count
    }

    /// The product of `shape`, after checking that no size is negative and that the scalars'
    /// bytes can be counted (an overflow would otherwise stop a release build with no message).
    static func elementCount(of shape: [Int]) -> Int {
        check(shape.allSatisfy { $0 >= 0 }, "tensor sizes must be non-negative, got shape \(shape)")
        guard let count = checkedElementCount(of: shape), count <= Int.max / MemoryLayout<Float>.stride else {
            fail("shape \(shape) has more scalars than memory can be addressed for")
        }
        return count
    }
}

/// The heap buffer behind a `Tensor`: 64-byte aligned so SIMD loads never straddle a cache line
/// at the start of a row, and on 2 MiB pages when it is large (`Memory.allocateFloats`).
///
/// `knownFinite` caches one fact about the scalars, "none is NaN or ±∞", for the optimizer's
/// finiteness check to skip its read of the gradient. It starts false (a new buffer's scalars are
/// not known), is set only by code that has just checked every scalar it wrote (the tape's
/// backward pass, the DP-SGD step's noisy gradient) while it holds the only reference, and is
/// cleared by `Tensor.makeUnique()`, the gate of every write to an existing tensor's scalars.
/// Code inside the module that writes `pointer` of a tensor it did not just create must clear it
/// too (the tape's reused buffers do, when they are rebound). Set and cleared only on storage
/// that one owner holds, so sharing a tensor across threads (reads only) never races on it.
final class TensorStorage: @unchecked Sendable {
    let count: Int
    let pointer: UnsafeMutablePointer<Float>
    /// Every scalar is known to be finite (see above); false when not known.
    var knownFinite = false

    init(count: Int) {
        self.count = count
        pointer = Memory.allocateFloats(count)
    }

    deinit { pointer.deallocate() }
}

extension Tensor: Equatable {
    /// Equal shapes and equal scalars (so a tensor containing NaN is not equal to itself).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.shape == rhs.shape else { return false }
        if lhs.storage === rhs.storage { return !lhs.scalars.contains { $0.isNaN } }
        return lhs.withUnsafeBufferPointer { a in rhs.withUnsafeBufferPointer { b in a.elementsEqual(b) } }
    }
}

extension Tensor: CustomStringConvertible {
    /// The shape and, for small tensors, the scalars.
    public var description: String {
        let shown = scalars.prefix(64).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), scalars: [\(shown)\(count > 64 ? ", …" : "")])"
    }
}

extension Tensor: Codable {
    private enum CodingKeys: String, CodingKey { case shape, scalars }

    /// Decodes a tensor, checking that the scalar count matches the shape.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let shape = try container.decode([Int].self, forKey: .shape)
        guard let count = Tensor.checkedElementCount(of: shape) else {
            throw DecodingError.dataCorruptedError(
                forKey: .shape, in: container,
                debugDescription: "shape \(shape) has a negative size or more scalars than Int can count")
        }
        let scalars = try container.decode([Float].self, forKey: .scalars)
        guard count == scalars.count else {
            throw DecodingError.dataCorruptedError(
                forKey: .scalars, in: container,
                debugDescription: "\(scalars.count) scalars do not fill shape \(shape), which holds \(count)")
        }
        self.init(shape: shape, scalars: scalars)
    }

    /// Encodes the shape and the scalars exactly (Float round-trips through JSON without loss).
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(shape, forKey: .shape)
        try container.encode(scalars, forKey: .scalars)
    }
}
