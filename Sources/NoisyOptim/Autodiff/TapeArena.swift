// TapeArena: the bump allocator behind a tape's values and gradients.
//
// A recording takes buffers in the same order every training step and frees them all at once,
// so a stack of chunks that is reset (not freed) between recordings serves it with a pointer bump
// per buffer and no heap traffic. When a recording outgrows the arena, it chains a larger chunk;
// the next reset replaces the chain by one chunk big enough for the whole recording, so from the
// second step on the same computation runs inside one chunk and nothing is allocated.

struct TapeArena {
    private var chunks: [(start: UnsafeMutablePointer<Float>, capacity: Int)] = []
    /// Scalars handed out from the last chunk.
    private var used = 0
    /// How many chunks were ever allocated (the bench and tests check it stops growing).
    private(set) var chunkAllocations = 0

    /// Every buffer starts on a 64-byte boundary (16 floats), as `TensorStorage`'s do.
    private static let alignment = 16
    private static let minimumChunk = 1 << 14

    /// Scalars the arena holds without growing.
    var capacity: Int { chunks.reduce(0) { $0 + $1.capacity } }

    /// Memory for `count` scalars, uninitialized, valid until the next `reset`.
    @inline(__always)
    mutating func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let n = (Swift.max(count, 1) + TapeArena.alignment - 1) / TapeArena.alignment * TapeArena.alignment
        if chunks.isEmpty || used + n > chunks[chunks.count - 1].capacity { grow(toFit: n) }
        let pointer = chunks[chunks.count - 1].start + used
        used += n
        return pointer
    }

    @inline(never)
    private mutating func grow(toFit n: Int) {
        let capacity = Swift.max(n, 2 * (chunks.last?.capacity ?? 0), TapeArena.minimumChunk)
        chunks.append((TapeArena.allocateChunk(capacity), capacity))
        chunkAllocations += 1
        used = 0
    }

    private static func allocateChunk(_ capacity: Int) -> UnsafeMutablePointer<Float> {
        Memory.allocateFloats(capacity)
    }

    /// Makes all memory available again; merges a chain of chunks into one that fits everything
    /// the last recording used.
    mutating func reset() {
        if chunks.count > 1 {
            let total = capacity // at least what the recording used: every chunk it filled
            deallocate()
            chunks.append((TapeArena.allocateChunk(total), total))
            chunkAllocations += 1
        }
        used = 0
    }

    mutating func deallocate() {
        for chunk in chunks { chunk.start.deallocate() }
        chunks.removeAll(keepingCapacity: true)
    }
}
