// Harness: timing and the printed table. Figures are ratios against a reference timed in the
// same run, so a busy shared machine moves both sides together.

import Foundation

/// One printed row: a measured figure and, where there is one, its ratio to a reference.
struct BenchRow {
    var group: String
    var name: String
    var value: Double
    var unit: String
    var ratio: Double?
    var ratioLabel: String
}

struct BenchTable {
    private(set) var rows: [BenchRow] = []

    mutating func add(_ group: String, _ name: String, value: Double, unit: String,
                      ratio: Double? = nil, versus ratioLabel: String = "") {
        let row = BenchRow(group: group, name: name, value: value, unit: unit, ratio: ratio, ratioLabel: ratioLabel)
        rows.append(row)
        print(BenchTable.format(row))
        fflush(nil) // rows appear as they are measured, even through a pipe
    }

    static func format(_ row: BenchRow) -> String {
        let value = String(format: "%10.2f ", row.value) + row.unit.padding(toLength: 10, withPad: " ", startingAt: 0)
        let ratio = row.ratio.map { String(format: "%6.2f× %@", $0, row.ratioLabel) } ?? ""
        return "| \(row.group.padding(toLength: 9, withPad: " ", startingAt: 0)) | \(row.name.padding(toLength: 44, withPad: " ", startingAt: 0)) | \(value) | \(ratio)"
    }
}

/// Seconds per call of `body`: the median of `repeats` timings, each over enough calls to last at
/// least `minimumSeconds` (so timer resolution does not matter).
func secondsPerCall(repeats: Int = 5, minimumSeconds: Double = 0.05, _ body: () -> Void) -> Double {
    body() // warm-up: page faults, caches, lazily created buffers
    var calls = 1
    let clock = ContinuousClock()
    while true {
        let elapsed = clock.measure { for _ in 0..<calls { body() } }
        if seconds(elapsed) >= minimumSeconds / 4 || calls >= 1 << 20 { break }
        calls *= 4
    }
    var samples: [Double] = []
    for _ in 0..<repeats {
        var total = 0.0
        var n = 0
        while total < minimumSeconds {
            total += seconds(clock.measure { for _ in 0..<calls { body() } })
            n += calls
        }
        samples.append(total / Double(n))
    }
    samples.sort()
    return samples[samples.count / 2]
}

/// The median and range of `rounds` ratios reference/measured, each pair timed back to back so a
/// shared machine's state moves both sides together.
func alternatingRatios(rounds: Int = 5, _ reference: () -> Double, _ measured: () -> Double)
    -> (median: Double, low: Double, high: Double, best: Double, rounds: Int) {
    var ratios: [Double] = [], best = Double.infinity
    for _ in 0..<rounds {
        let r = reference(), m = measured()
        best = min(best, m)
        ratios.append(r / m)
    }
    ratios.sort()
    return (ratios[ratios.count / 2], ratios[0], ratios[ratios.count - 1], best, rounds)
}

/// A row's label for `alternatingRatios`: what it is against, and the range over the rounds.
func spread(_ ratios: (median: Double, low: Double, high: Double, best: Double, rounds: Int), _ versus: String) -> String {
    String(format: "%@ (%d rounds: %.2f–%.2f)", versus, ratios.rounds, ratios.low, ratios.high)
}

func seconds(_ duration: Duration) -> Double {
    let (s, attoseconds) = duration.components
    return Double(s) + Double(attoseconds) * 1e-18
}

/// Keeps the optimizer from deleting work whose result is otherwise unused.
@inline(never)
func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

/// CPU seconds of the calling thread per call of `body`: the least of `repeats` samples, each over
/// calls lasting at least `minimumSeconds` of that thread's CPU time. Time spent descheduled while
/// other processes run does not count (nor does a worker thread's spinning), so single-threaded
/// figures stay comparable on a loaded machine. Only for work that runs on the calling thread.
func cpuSecondsPerCall(repeats: Int = 5, minimumSeconds: Double = 0.05, _ body: () -> Void) -> Double {
    func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
    body() // warm-up
    var best = Double.infinity
    for _ in 0..<repeats {
        var calls = 0
        let start = now()
        var elapsed = 0.0
        while elapsed < minimumSeconds {
            body()
            calls += 1
            elapsed = now() - start
        }
        best = min(best, elapsed / Double(calls))
    }
    return best
}
