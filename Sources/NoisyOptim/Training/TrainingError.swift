// TrainingError: why a training loop stopped or could not resume.

/// Why `TrainingLoop` stopped early or could not resume.
public enum TrainingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The objective returned a NaN or infinite loss at step `step` (counting from 0); nothing was
    /// applied for that step.
    case nonFiniteLoss(step: Int, loss: Float)
    /// A checkpoint file could not be used: unreadable, undecodable, or written for other settings.
    case invalidCheckpoint(path: String, reason: String)
    /// A checkpoint could not be written.
    case checkpointWriteFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(step, loss):
            "the loss is \(loss) at step \(step): training stopped (lower the learning rate, clip the gradient, or check the data)"
        case let .invalidCheckpoint(path, reason):
            "cannot resume from \(path): \(reason)"
        case let .checkpointWriteFailed(path, reason):
            "cannot write the checkpoint \(path): \(reason)"
        }
    }
}
