// ConsoleReporter: a training loop's progress on the console — one line redrawn in place on a
// terminal, plain lines every k steps when the output is a file or a CI log.

import Foundation

/// Prints a `TrainingLoop`'s progress: step, epoch, training loss (the mean since the last line
/// drawn),
/// held-out loss and accuracy, steps per second and the time left.
///
/// On a terminal the line is redrawn in place (carriage return, erase line) at most every
/// `redrawInterval`; otherwise a plain line is written every
/// `lineInterval` steps and at the end, so logs stay short and readable.
public final class ConsoleReporter {
    /// Whether the output is a terminal: redraw in place.
    public let isTerminal: Bool
    /// Steps between plain lines when not on a terminal.
    public let lineInterval: Int
    /// The shortest time between two redraws on a terminal.
    public let redrawInterval: Duration
    /// Printed before each line (an optimizer's name, say).
    public var label: String
    /// On a terminal, whether the final line is kept (ended by a newline) or erased.
    public var keepsFinalLine: Bool

    private let write: (String) -> Void
    private var lossSum = 0.0, lossCount = 0
    private var lastDraw: ContinuousClock.Instant?

    /// A reporter writing to standard error (`write` nil) or to `write`; `isTerminal` nil asks
    /// `isatty` about standard error.
    public init(label: String = "", lineInterval: Int = 100, redrawInterval: Duration = .milliseconds(100),
                keepsFinalLine: Bool = true, isTerminal: Bool? = nil, write: ((String) -> Void)? = nil) {
        check(lineInterval > 0, "lineInterval must be positive, got \(lineInterval)")
        self.label = label
        self.lineInterval = lineInterval
        self.redrawInterval = redrawInterval
        self.keepsFinalLine = keepsFinalLine
        self.isTerminal = isTerminal ?? (isatty(FileHandle.standardError.fileDescriptor) == 1)
        self.write = write ?? { FileHandle.standardError.write(Data($0.utf8)) }
    }

    /// The callback to add to `TrainingLoop.callbacks`.
    public var callback: TrainingCallback {
        { [self] progress in
            report(progress)
            return .proceed
        }
    }

    /// Handles one event of a run.
    public func report(_ progress: TrainingProgress) {
        if progress.event == .step, let loss = progress.loss {
            lossSum += Double(loss)
            lossCount += 1
        }
        let finished = progress.event == .finished
        if isTerminal {
            let now = ContinuousClock.now
            guard finished || lastDraw.map({ now - $0 >= redrawInterval }) ?? true else { return }
            lastDraw = now
            let text = line(progress)
            write("\r\u{1B}[2K" + (finished && !keepsFinalLine ? "" : text) + (finished && keepsFinalLine ? "\n" : ""))
        } else {
            // The last step's line would repeat the final one.
            let last = progress.step == progress.totalSteps
            guard finished || !last && progress.event == .step && progress.step % lineInterval == 0 else { return }
            write(line(progress) + "\n")
        }
        lossSum = 0
        lossCount = 0
        if finished { lastDraw = nil }
    }

    /// The text of a progress line.
    public func line(_ progress: TrainingProgress) -> String {
        var parts: [String] = []
        let width = String(progress.totalSteps).count
        let stepText = String(progress.step)
        parts.append("step " + String(repeating: " ", count: max(0, width - stepText.count)) + stepText + "/\(progress.totalSteps)")
        if let epoch = progress.epoch { parts.append("epoch " + ConsoleReporter.fixed(epoch, 1)) }
        if lossCount > 0 {
            parts.append(ConsoleReporter.loss(lossSum / Double(lossCount), "loss"))
        } else if let loss = progress.loss {
            parts.append(ConsoleReporter.loss(Double(loss), "loss"))
        }
        if let evaluation = progress.evaluation {
            parts.append(ConsoleReporter.loss(Double(evaluation.loss), "test loss"))
            if let accuracy = evaluation.accuracy { parts.append("test acc " + ConsoleReporter.fixed(100 * accuracy, 2) + "%") }
        }
        let rate = progress.stepsPerSecond
        if rate > 0 {
            parts.append(ConsoleReporter.fixed(rate, 0) + " steps/s")
            if progress.event != .finished {
                parts.append("ETA " + ConsoleReporter.duration(Double(progress.totalSteps - progress.step) / rate))
            } else {
                parts.append("took " + ConsoleReporter.duration(Double(progress.stepsThisRun) / rate))
            }
        }
        return (label.isEmpty ? "" : label + "  ") + parts.joined(separator: "  ")
    }

    static func loss(_ value: Double, _ name: String) -> String {
        abs(value) >= 1e-3 && abs(value) < 1e4 || value == 0 ? name + " " + fixed(value, 4) : String(format: "\(name) %.3e", value)
    }

    /// `value` with `places` decimals, rounded half away from zero: "%.nf" without Foundation's
    /// formatter, which costs tens of microseconds a call on Linux (a line is drawn every few
    /// steps). Values beyond ±2⁵³/10ⁿ fall back to it.
    static func fixed(_ value: Double, _ places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard value.isFinite, scaled < 9e15 else { return String(format: "%.\(places)f", value) }
        let units = Int64(scaled), divisor = Int64(scale)
        let whole = String(units / divisor)
        let sign = value.sign == .minus ? "-" : "" // as printf: -0.00 for a small negative
        guard places > 0 else { return sign + whole }
        let fraction = String(units % divisor)
        return sign + whole + "." + String(repeating: "0", count: places - fraction.count) + fraction
    }

    /// m:ss, or h:mm:ss from an hour.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let total = Int(seconds.rounded())
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return h > 0 ? "\(h):\(two(m)):\(two(s))" : "\(m):\(two(s))"
    }
}
