// NoiseStream: Gaussian noise keyed by (seed, step, position), the building block of every noise
// transform, public so that a transform written outside the module replays as exactly as ours.

/// A stream of N(0, 1) values indexed by step and flat position: value i of step t depends only
/// on (seed, stream, t, i), never on threads, block sizes, retries or restores.
///
/// Position i of step t is normal i mod 2048 of `Philox4x32` keyed by a SplitMix64 mix of
/// (seed, stream, t, ⌊i / 2048⌋) (`RandomStream`), so a step's noise can be generated block by
/// block in any order and a checkpoint needs only the seed and the step count.
///
/// ```swift
/// let noise = NoiseStream(seed: 7)
/// noise.addNormal(to: block.directionBuffer, standardDeviation: 0.1,
///                 step: context.step, position: block.range.lowerBound)
/// ```
public struct NoiseStream: Codable, Sendable, Hashable {
    /// The seed the user chose.
    public let seed: UInt64
    /// Separates the streams of one seed (gradient noise, sampling, perturbation, …).
    public let stream: UInt64

    /// The stream for transforms written outside the module, unless they pick their own.
    public static let userStream: UInt64 = 0x7573_6572_6E6F_6973

    /// The noise keyed by `seed` within `stream`.
    public init(seed: UInt64, stream: UInt64 = NoiseStream.userStream) {
        self.seed = seed
        self.stream = stream
    }

    /// The key of step `t`.
    @inline(__always)
    func stepKey(_ t: Int) -> UInt64 {
        RandomStream.mix(RandomStream.mix(seed ^ stream) &+ UInt64(truncatingIfNeeded: t))
    }

    /// Writes z of step `step` at positions `position ..< position + buffer.count`.
    /// `position` must be a multiple of 4 (block starts always are).
    public func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, step: Int, position: Int) {
        forEachKeyedRun(buffer, step: step, position: position) { generator, run in generator.fillNormal(run) }
    }

    /// buffer[k] += σ·z of step `step` at position `position + k`. `position` must be a multiple of 4.
    public func addNormal(to buffer: UnsafeMutableBufferPointer<Float>, standardDeviation sigma: Float,
                          step: Int, position: Int) {
        forEachKeyedRun(buffer, step: step, position: position) { generator, run in
            generator.addNormal(to: run, standardDeviation: sigma)
        }
    }

    /// Splits the buffer where the keyed blocks of `RandomStream.blockSize` positions meet.
    @inline(__always)
    private func forEachKeyedRun(_ buffer: UnsafeMutableBufferPointer<Float>, step: Int, position: Int,
                                 _ body: (inout Philox4x32, UnsafeMutableBufferPointer<Float>) -> Void) {
        check(position >= 0 && position % 4 == 0, "NoiseStream: position \(position) must be a non-negative multiple of 4")
        guard let base = buffer.baseAddress else { return }
        let key = stepKey(step)
        var done = 0
        while done < buffer.count {
            let p = position + done
            let length = min(buffer.count - done, RandomStream.blockSize - p % RandomStream.blockSize)
            var generator = RandomStream.generator(stepKey: key, position: p)
            body(&generator, UnsafeMutableBufferPointer(start: base + done, count: length))
            done += length
        }
    }
}
