// NoiseStream: Gaussian noise keyed by (seed, step, position), the building block of every noise
// transform, public so that a transform written outside the module replays as exactly as ours.

/// A stream of N(0, 1) values indexed by step and flat position: value i of step t depends only
/// on (seed, stream, t, i), never on threads, block sizes, retries or restores.
///
/// Position i of step t is position i mod 2048 of the normal stream of the `Philox4x32` keyed by
/// a SplitMix64 mix of (seed, stream, t, ⌊i / 2048⌋) (`RandomStream`; the stream's layout is at
/// `Philox4x32.normals(into:from:mean:standardDeviation:)`), so a step's noise can be generated
/// block by block in any order and a checkpoint needs only the seed and the step count.
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

    /// Writes z of step `step` at positions `position ..< position + buffer.count` (any position ≥ 0).
    public func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, step: Int, position: Int) {
        RandomStream.normals(into: buffer, adding: nil, stepKey: stepKey(step), position: position)
    }

    /// buffer[k] += σ·z of step `step` at position `position + k` (any position ≥ 0).
    public func addNormal(to buffer: UnsafeMutableBufferPointer<Float>, standardDeviation sigma: Float,
                          step: Int, position: Int) {
        RandomStream.normals(into: buffer, adding: sigma, stepKey: stepKey(step), position: position)
    }
}
