// TrainingHistory: what a training loop records — every step's loss and every evaluation —
// saved with each checkpoint so a resumed run's curves continue where they stopped.

/// The curves of a run: the training loss of every step and the held-out evaluations.
public struct TrainingHistory: Codable, Sendable, Equatable {
    /// One held-out evaluation.
    public struct Point: Codable, Sendable, Equatable {
        /// Steps taken when it was made.
        public var step: Int
        /// The loss and accuracy.
        public var result: EvaluationResult
    }

    /// `losses[t]`: the objective's loss at step t (at the point and for the W the optimizer chose).
    public var losses: [Float] = []
    /// The evaluations, in step order.
    public var evaluations: [Point] = []

    /// An empty history.
    public init() {}

    /// The mean training loss over steps `range` (nil if empty).
    public func meanLoss(over range: Range<Int>) -> Float? {
        let range = range.clamped(to: 0..<losses.count)
        guard !range.isEmpty else { return nil }
        return Float(losses[range].reduce(0.0) { $0 + Double($1) } / Double(range.count))
    }
}
