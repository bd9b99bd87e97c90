// StepBuffer: a transform's per-parameter state buffer (a velocity, a moment, an accumulator),
// opened for the writes of one step — the public way to reach state memory from a block, for
// transforms written inside or outside the module.

/// One of a transform's per-parameter state buffers, opened by `plan` for the step being taken.
///
/// `Tensor.openForStep(count:owner:)` makes the tensor's storage unique (a copy-on-write copy, if
/// a checkpoint still shares it) and checks its size against the parameters; `apply` then reads
/// and writes the block's stretch through `slice(for:)`. The buffer is valid until the step ends:
/// the state that owns the tensor is neither copied nor released while a step runs.
public struct StepBuffer {
    let base: UnsafeMutablePointer<Float>
    /// The number of scalars: the number of parameters.
    public let count: Int

    /// The scalars at `block`'s positions.
    @inline(__always)
    public func slice(for block: UpdateBlock) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: base + block.range.lowerBound, count: block.count)
    }

    /// The scalars at `block`'s positions, for a fused kernel.
    @inline(__always)
    public func slice(for block: FusedBlock) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: base + block.range.lowerBound, count: block.count)
    }

    /// The first scalar at `block`'s positions (for the module's kernels, which take pointers).
    @inline(__always)
    func pointer(for range: Range<Int>) -> UnsafeMutablePointer<Float> { base + range.lowerBound }
}

extension Tensor {
    /// Throws `OptimizerError.stateMismatch` naming `part` and both shapes unless this tensor, a
    /// restored state buffer, is a flat vector of `count` scalars: the check a transform's
    /// `validate(_:for:)` makes of each buffer.
    public func validateStateBuffer(part: String, count: Int) throws {
        guard shape == [count] else {
            throw OptimizerError.stateMismatch(part: part, expected: "shape [\(count)]", found: "shape \(shape)")
        }
    }

    /// Opens this tensor, a per-parameter state buffer, for one step's writes. Stops with a
    /// message naming `owner` and both sizes if it does not hold `count` scalars — a state that
    /// does not fit the parameters never reaches a kernel.
    public mutating func openForStep(count: Int, owner: String) -> StepBuffer {
        check(self.count == count, "\(owner): its state buffer holds \(self.count) scalars but the parameters have \(count)")
        makeUnique()
        return StepBuffer(base: storage.pointer, count: count)
    }
}
