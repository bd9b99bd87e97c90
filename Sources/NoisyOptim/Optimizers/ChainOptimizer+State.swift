// ChainOptimizer+State: what a checkpoint holds — the step count, the streams' keys and one
// named part per link of the chain — and its versioned encoding.

extension ChainOptimizer {
    /// The step count, the keys of the sampling and perturbation streams, and the links' states.
    ///
    /// Encoded as `{"formatVersion": 2, "step": t, "samplingSeed": …, "perturbationSeed": …,
    /// "parts": {"momentum": {…}, "gradientNoise": {…}, …}}`: each link's state under its own
    /// `stateKey`, however the chain nests, so adding a stage leaves the other parts' keys alone.
    /// Decoding checks the version and that the step count is not negative; `restore(_:)` checks
    /// that the parts fit the optimizer.
    public struct State: Codable, Sendable, Equatable {
        /// The version of the encoding this build writes and reads.
        public static var formatVersion: Int { 2 }

        /// Steps applied so far (skipped steps do not count).
        public var step: Int
        /// The links' states.
        public var transform: Transform.State
        /// The key of the sampling stream: W of step t is drawn with a `Philox4x32` keyed by
        /// (samplingSeed, t), so it is the same whether or not the run was interrupted.
        public var samplingSeed: UInt64
        /// The key of the perturbation stream ξₜ.
        public var perturbationSeed: UInt64

        /// A state with these parts.
        public init(step: Int, transform: Transform.State, samplingSeed: UInt64, perturbationSeed: UInt64) {
            self.step = step
            self.transform = transform
            self.samplingSeed = samplingSeed
            self.perturbationSeed = perturbationSeed
        }

        /// The rule's own part of `transform` (its momentum, moments, accumulators).
        public var rule: Rule.State {
            get { transform.first.first.first.second }
            set { transform.first.first.first.second = newValue }
        }

        /// The update transform's part of `transform`.
        public var update: Update.State {
            get { transform.first.second }
            set { transform.first.second = newValue }
        }

        private enum CodingKeys: String, CodingKey {
            case formatVersion, step, samplingSeed, perturbationSeed, parts
        }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let version = try container.decode(Int.self, forKey: .formatVersion)
            guard version == State.formatVersion else {
                throw DecodingError.dataCorruptedError(forKey: .formatVersion, in: container,
                    debugDescription: "optimizer state format \(version); this build reads format \(State.formatVersion)")
            }
            step = try container.decode(Int.self, forKey: .step)
            guard step >= 0 else {
                throw DecodingError.dataCorruptedError(forKey: .step, in: container,
                                                       debugDescription: "a step count must be ≥ 0, got \(step)")
            }
            samplingSeed = try container.decode(UInt64.self, forKey: .samplingSeed)
            perturbationSeed = try container.decode(UInt64.self, forKey: .perturbationSeed)
            transform = try Transform.decodeParts(from: container.nestedContainer(keyedBy: StatePartKey.self, forKey: .parts))
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(State.formatVersion, forKey: .formatVersion)
            try container.encode(step, forKey: .step)
            try container.encode(samplingSeed, forKey: .samplingSeed)
            try container.encode(perturbationSeed, forKey: .perturbationSeed)
            var parts = container.nestedContainer(keyedBy: StatePartKey.self, forKey: .parts)
            try Transform.encodeParts(transform, into: &parts)
        }
    }
}
