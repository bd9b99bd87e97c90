// Perturbation: the second noise site — the gradient is taken at θ + ξ and the step applied to θ
// (Orvieto et al. 2023), or, anti-correlated, θ moves by ξₜ₊₁ − ξₜ (Orvieto et al. 2022).

/// Where and how large the perturbation ξₜ is, and whether it perturbs the point of the gradient
/// or the iterate itself.
///
/// Perturbed gradient descent (Orvieto, Raj, Kersting and Bach 2023, "Explicit Regularization in
/// Overparametrized Models via Noise Injection", AISTATS) evaluates the gradient at θₜ + ξₜ and
/// applies the step to θₜ; in expectation it descends the smoothed loss E[L(θ + ξ)] ≈ L(θ) +
/// ½·Σ σ²_seg·tr ∇²_seg L(θ), the paper's explicit regularizer. With L the number of segments of
/// the layout (weights and biases separate, as the authors count parameter tensors):
///
///     .allSegments     every segment gets N(0, σₜ²/L) per entry, every step (the authors' "all")
///     .layerWise       only segment t mod L gets N(0, σₜ²), cyclically (the authors' "layer")
///     .everyParameter  every parameter gets N(0, σₜ²): ξ ~ N(0, σₜ²I), whatever L is
///
/// `.layerWise` is the paper's remedy for the variance explosion of all-parameter noise in wide
/// networks. With `antiCorrelated`, the same ξ drives Anti-PGD (Orvieto, Kersting, Proske, Bach and
/// Lucchi 2022, "Anticorrelated Noise Injection for Improved Generalization", ICML):
///
///     θₜ₊₁ = θₜ − lrₜ·∇L(θₜ) + (ξₜ₊₁ − ξₜ)
///
/// with the gradient taken at the iterate; zₜ = θₜ − ξₜ then follows perturbed GD's recursion, so
/// Anti-PGD's iterate is perturbed GD's perturbed point. ξₜ at position i is σ_seg(t)·z(seed, t, i)
/// (`NoiseStream`), regenerated whenever needed, so neither mode stores a buffer.
public struct Perturbation: Codable, Sendable {
    /// Which segments ξ covers, and with what standard deviation.
    public enum Mode: String, Codable, Sendable, Hashable, CaseIterable {
        /// All L segments, N(0, σ²/L) per entry.
        case allSegments
        /// Segment t mod L, N(0, σ²) per entry; the others not at all.
        case layerWise
        /// Every parameter, N(0, σ²) per entry.
        case everyParameter
    }

    /// σₜ ≥ 0.
    public var sigma: Schedule
    /// All segments, layer-wise, or every parameter.
    public var mode: Mode
    /// Anti-PGD: move the iterate by ξₜ₊₁ − ξₜ instead of perturbing the gradient's point.
    public var antiCorrelated: Bool
    /// The key of the perturbation stream.
    public var seed: UInt64

    /// ξₜ of standard deviation σₜ in `mode`, keyed by `seed`. Validated when an optimizer is built.
    public init(sigma: Schedule, mode: Mode, antiCorrelated: Bool = false, seed: UInt64) {
        self.sigma = sigma
        self.mode = mode
        self.antiCorrelated = antiCorrelated
        self.seed = seed
    }

    /// Throws unless σ can never be negative.
    func validate() throws {
        try Hyperparameter.schedule(sigma, "sigma", Hyperparameter.nonNegative)
    }

    /// The positions ξₜ covers and their common standard deviation (the segments tile the
    /// vector, so every mode is one range with one σ).
    func support(at t: Int, layout: ParameterLayout) -> (range: Range<Int>, sigma: Float) {
        let value = sigma.value(at: t)
        check(value >= 0, "the perturbation's σ schedule gave \(value) at step \(t); it must be ≥ 0")
        let segments = layout.segments
        guard !segments.isEmpty else { return (0..<0, 0) }
        switch mode {
        case .everyParameter: return (0..<layout.count, Float(value))
        case .allSegments: return (0..<layout.count, Float(value / Double(segments.count).squareRoot()))
        case .layerWise: return (segments[t % segments.count].range, Float(value))
        }
    }

    /// buffer[p − block.lowerBound] += sign·ξₜ[p] for the positions p of `block` (a run of at most
    /// `UpdateBlock.size` positions starting at a multiple of 4) that ξₜ covers.
    @inline(__always)
    func add(to buffer: UnsafeMutablePointer<Float>, block: Range<Int>, step t: Int, sign: Float,
             support: (range: Range<Int>, sigma: Float), scratch: UnsafeMutablePointer<Float>) {
        let lower = max(block.lowerBound, support.range.lowerBound), upper = min(block.upperBound, support.range.upperBound)
        guard lower < upper, support.sigma != 0 else { return }
        let start = lower & ~3 // the stream is addressed at multiples of 4
        RandomStream.perturbation.stream(seed: seed)
            .fillNormal(UnsafeMutableBufferPointer(start: scratch, count: upper - start), step: t, position: start)
        let z = UnsafePointer(scratch + (lower - start))
        Kernels.addScaled(z, scale: sign * support.sigma, to: buffer + (lower - block.lowerBound), count: upper - lower)
    }

    /// point ← θ + ξₜ over the whole vector, block by block in parallel (one pass).
    func perturb(_ theta: UnsafePointer<Float>, into point: UnsafeMutablePointer<Float>, count n: Int,
                 step t: Int, layout: ParameterLayout) {
        let support = support(at: t, layout: layout)
        let size = UpdateBlock.size
        let blocks = (n + size - 1) / size
        Parallel.forEachChunk(count: blocks, minimumChunk: max(1, Kernels.parallelThreshold / size)) { chunk in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: size + 4) { scratch in
                for b in chunk {
                    let lower = b * size, upper = min(n, lower + size)
                    (point + lower).update(from: theta + lower, count: upper - lower)
                    add(to: point + lower, block: lower..<upper, step: t, sign: 1, support: support,
                        scratch: scratch.baseAddress!)
                }
            }
        }
    }
}
