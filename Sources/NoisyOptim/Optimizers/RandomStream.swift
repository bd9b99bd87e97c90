// RandomStream: how every random draw of a step is keyed, so that noise depends only on
// (seed, step, position) — never on threads, on how often a step was retried, or on a restore.

/// The independent random streams of a step, each a `Philox4x32` whose key is derived from a
/// component's seed, the step t and a block number.
///
/// Keying by (seed, t) instead of carrying a generator forward makes the generator state of a
/// noisy component just its seed plus the optimizer's step count: a checkpoint restores it
/// exactly, a skipped step consumes nothing, and a noise scale of 0 (which skips the draw)
/// leaves later steps' noise unchanged — so with η = 0 a noisy optimizer equals its plain twin
/// bit for bit. Blocks of `RandomStream.blockSize` scalars get their own keys, so threads can fill
/// disjoint blocks without coordinating.
enum RandomStream: UInt64 {
    case gradientNoise = 0x6E6F_6973_6521   // distinct constants keep the streams of one seed apart
    case sampling = 0x7361_6D70_6C65
    case perturbation = 0x7065_7274_7572
    case parameterNoise = 0x7061_7261_6D73

    /// The public stream of `seed` under this stream's constant.
    func stream(seed: UInt64) -> NoiseStream { NoiseStream(seed: seed, stream: rawValue) }

    /// Scalars per keyed block of noise: position i of a step's noise is value i mod 2048 of block
    /// ⌊i / 2048⌋'s generator. Fixed, so the noise never depends on how a step cuts its work.
    static let blockSize = 2048

    /// SplitMix64's finalizer (Steele, Lea and Flood 2014): a bijection that spreads every input bit.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The key of this stream at step `step` for `seed`.
    func key(seed: UInt64, step: Int) -> UInt64 { stream(seed: seed).stepKey(step) }

    /// The generator of block `block` under a step key.
    @inline(__always)
    static func generator(stepKey: UInt64, block: Int) -> Philox4x32 {
        Philox4x32(seed: mix(stepKey &+ UInt64(truncatingIfNeeded: block)))
    }

    /// buffer[k] += σ·z of position `position + k` under `stepKey`, or (with `sigma` nil) z itself,
    /// or with a `source`, buffer[k] = ±source[k] + σ·z (− when `negate`): the keyed blocks the
    /// stretch crosses, each read at its own offset, so a value depends only on (step key, position).
    @inline(__always)
    static func normals(into buffer: UnsafeMutableBufferPointer<Float>, adding sigma: Float?,
                        to source: UnsafePointer<Float>? = nil, negate: Bool = false, stepKey: UInt64, position: Int) {
        check(position >= 0, "noise positions are non-negative, got \(position)")
        guard let base = buffer.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            let p = position + done
            let block = p / blockSize, offset = p - block * blockSize
            let length = min(buffer.count - done, blockSize - offset)
            let run = UnsafeMutableBufferPointer(start: base + done, count: length)
            let generator = generator(stepKey: stepKey, block: block)
            if let source, let sigma {
                generator.copyAddingNormal(from: source + done, negate: negate, into: run, from: offset, standardDeviation: sigma)
            } else if let sigma {
                generator.addNormal(to: run, from: offset, standardDeviation: sigma)
            } else {
                generator.normals(into: run, from: offset)
            }
            done += length
        }
    }

    /// `update` applied to d = ±source[k] + σ·z of position `position + k`, k < `count` (the values
    /// `normals(into:adding:to:negate:stepKey:position:)` writes), offsets counted from 0.
    @inline(__always)
    static func normals<Update: LaneUpdate>(adding sigma: Float, to source: UnsafePointer<Float>, negate: Bool, count: Int,
                                            stepKey: UInt64, position: Int, updating update: Update) {
        check(position >= 0, "noise positions are non-negative, got \(position)")
        var done = 0
        while done < count {
            let p = position + done
            let block = p / blockSize, offset = p - block * blockSize
            let length = min(count - done, blockSize - offset)
            generator(stepKey: stepKey, block: block)
                .copyAddingNormal(from: source + done, negate: negate, count: length, from: offset, standardDeviation: sigma,
                                  updating: OffsetLanes(base: update, offset: done))
            done += length
        }
    }

    /// buffer[i] += σ·zᵢ for i < count, z drawn block by block under `stepKey` (block b covers
    /// positions b·`blockSize` …), in parallel over blocks.
    static func addNormal(to buffer: UnsafeMutablePointer<Float>, count: Int, standardDeviation sigma: Float, stepKey: UInt64) {
        let size = blockSize
        let blocks = (count + size - 1) / size
        Parallel.forEachChunk(count: blocks, minimumChunk: max(1, Kernels.parallelThreshold / size)) { range in
            for b in range {
                var generator = generator(stepKey: stepKey, block: b)
                let lower = b * size
                generator.addNormal(to: UnsafeMutableBufferPointer(start: buffer + lower, count: min(size, count - lower)),
                                    standardDeviation: sigma)
            }
        }
    }

    /// out[i] = x[i] + σ·zᵢ for i < count, z exactly as `addNormal` draws it (σ = 0: a plain
    /// copy), and whether every out[i] is finite. Each block is copied, noised and checked while
    /// it sits in L1, so the check costs no pass over memory of its own.
    static func copyAddingNormal(from x: UnsafePointer<Float>, to out: UnsafeMutablePointer<Float>, count: Int,
                                 standardDeviation sigma: Float, stepKey: UInt64) -> Bool {
        let size = blockSize
        let blocks = (count + size - 1) / size
        guard blocks > 0 else { return true }
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: blocks) { probes in
            let probe = probes.baseAddress!
            Parallel.forEachChunk(count: blocks, minimumChunk: max(1, Kernels.parallelThreshold / size)) { range in
                for b in range {
                    let lower = b * size, length = min(size, count - lower)
                    if sigma != 0 {
                        generator(stepKey: stepKey, block: b)
                            .copyAddingNormal(from: x + lower, negate: false, into: UnsafeMutableBufferPointer(start: out + lower, count: length),
                                              from: 0, standardDeviation: sigma)
                    } else {
                        (out + lower).update(from: x + lower, count: length)
                    }
                    probe[b] = Kernels.blockFiniteProbe(out + lower, count: length)
                }
            }
            var sum: Float = 0
            for b in 0..<blocks { sum += probe[b] }
            return sum == 0
        }
    }
}

/// `base` seen from `offset` on: a stretch's offsets inside a longer block.
struct OffsetLanes<Base: LaneUpdate>: LaneUpdate {
    let base: Base
    let offset: Int

    @inline(__always)
    func update(_ d: SIMD4<Float>, at offset: Int, skipping skipped: SIMDMask<SIMD4<Int32>>) {
        base.update(d, at: self.offset &+ offset, skipping: skipped)
    }

    @inline(__always)
    func update(_ d: Float, at offset: Int) { base.update(d, at: self.offset &+ offset) }
}
