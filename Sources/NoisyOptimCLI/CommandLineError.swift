// CommandLineError: the two ways a command fails — bad usage (exit 2) and bad input or a failed
// run (exit 1) — each a message of one line, never a crash trace.

/// Why a command could not do its job.
public enum CommandLineError: Error, Equatable, CustomStringConvertible {
    /// An unknown option, a bad value, a missing argument: the message names the option and the
    /// accepted values. Exit code 2, followed by a usage hint.
    case usage(String)
    /// A missing or malformed file (the message names the file, line and column), or a run that
    /// could not finish. Exit code 1.
    case failure(String)

    public var description: String {
        switch self {
        case let .usage(message), let .failure(message): message
        }
    }

    /// The process exit code: 2 for usage, 1 for failures.
    public var exitCode: Int32 {
        switch self {
        case .usage: 2
        case .failure: 1
        }
    }
}
