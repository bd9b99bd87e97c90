// Parallel: splits kernel work into contiguous chunks across threads.

import Dispatch
import Foundation

/// Process-wide limits on how many threads NoisyOptim's kernels use.
///
/// Results never depend on this setting: every parallel kernel partitions its work the same way
/// for any thread count (reductions combine fixed-size blocks in a fixed order, random fills are
/// counter-based), so changing it only changes speed.
public enum Parallelism {
    private final class Storage: @unchecked Sendable {
        let lock = NSLock()
        var maximumThreadCount = max(1, ProcessInfo.processInfo.activeProcessorCount)
    }
    private static let storage = Storage()

    /// The most threads a kernel may use at once; at least 1. Defaults to the number of active
    /// processors. Set it to 1 to run every kernel on the calling thread.
    public static var maximumThreadCount: Int {
        get {
            storage.lock.lock()
            defer { storage.lock.unlock() }
            return storage.maximumThreadCount
        }
        set {
            check(newValue >= 1, "Parallelism.maximumThreadCount must be at least 1, got \(newValue)")
            storage.lock.lock()
            storage.maximumThreadCount = newValue
            storage.lock.unlock()
        }
    }
}

enum Parallel {
    /// Splits `0..<count` into at most `Parallelism.maximumThreadCount` contiguous ranges of at least
    /// `minimumChunk` items each and runs `body` on every range, in parallel when there is more than
    /// one. `body` must only write to the part of its output that its range owns.
    static func forEachChunk(count: Int, minimumChunk: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        // One chunk whatever the thread count: skip reading it (a lock), which small tape ops
        // would otherwise pay on every kernel call.
        if count < 2 * minimumChunk {
            body(0..<count)
            return
        }
        let threads = min(Parallelism.maximumThreadCount, max(1, count / max(1, minimumChunk)))
        if threads <= 1 {
            body(0..<count)
            return
        }
        run(parts: threads, threads: threads) { part in
            body(count * part / threads ..< count * (part + 1) / threads)
        }
    }

    /// Runs `body(i)` for every `i` in `0..<tasks`, spread over the allowed threads.
    /// Use when the tasks are already coarse (tiles of a matrix, blocks of a reduction).
    static func forEachTask(_ tasks: Int, _ body: (Int) -> Void) {
        guard tasks > 0 else { return }
        let threads = min(Parallelism.maximumThreadCount, tasks)
        if threads <= 1 {
            for task in 0..<tasks { body(task) }
            return
        }
        run(parts: tasks, threads: threads, body)
    }

    /// `body(part)` for every part, on the caller and `threads − 1` helpers: the persistent
    /// `WorkerPool` where the platform has it and it is free, else Dispatch.
    private static func run(parts: Int, threads: Int, _ body: (Int) -> Void) {
        #if canImport(Synchronization)
        if #available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, visionOS 2.0, *),
           WorkerPool.shared.run(parts: parts, helpers: threads - 1, body) {
            return
        }
        #endif
        withoutActuallyEscaping(body) { body in
            let body = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                var part = thread
                while part < parts {
                    body.value(part)
                    part += threads
                }
            }
        }
    }
}

/// Carries a kernel's closure (which captures raw pointers, so is not `Sendable`) across the
/// worker threads. Safe because each worker writes only the disjoint part of the output it owns
/// and the parallel call returns only after every worker has finished.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
