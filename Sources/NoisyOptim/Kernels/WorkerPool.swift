// WorkerPool: persistent worker threads that spin briefly between parallel calls.
//
// Why not `DispatchQueue.concurrentPerform`: on Linux it wakes a parked worker for every call,
// which measured ~45 µs here — two 33 µs halves took 79 µs, slower than running both on the
// caller. A training step makes dozens of parallel kernel calls of 0.05–1 ms, so that latency
// decided the two-thread speed. These workers stay awake (spinning on their own flag) for a
// short while after each call, so back-to-back calls start in well under a microsecond; then
// they park on a semaphore and cost nothing.
//
// The price: while a worker spins it holds a core. On a machine with another busy process, the
// spinning competes with the caller's serial work between calls, so kernels only go parallel for
// work of tens of microseconds or more (see `GEMMBlocking`, `Kernels.parallelThreshold`).
//
// A call splits its work into parts; the caller and the workers claim parts from a shared
// counter, so a late worker never holds the caller up: the caller takes back a part offer that
// no worker has picked up yet. Which thread runs a part never changes the result, because the
// parts themselves are fixed by the caller.

#if canImport(Synchronization)
import Foundation
import Synchronization

@available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, visionOS 2.0, *)
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// One worker thread and its offer slot. `state` goes idle → offered (caller) → running
    /// (worker) → idle (worker, after dropping the job), or offered → idle when the caller takes
    /// the offer back.
    private final class Worker: @unchecked Sendable {
        static let idle = 0, offered = 1, running = 2
        let state = Atomic<Int>(Worker.idle)
        let parked = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
    }

    /// Spin iterations (one atomic load each; tens of microseconds in all) before an idle worker
    /// parks. A tenth of this left a 784-256-256-10 MLP step 1.5× slower on two threads: workers
    /// parked between its calls, and the caller did the parts alone.
    private static let spinsBeforeParking = 100_000

    private var workers: [Worker] = []
    /// The job of the call in progress. Written by the caller before it offers the job, read by
    /// workers after they accept it (the `state` exchange orders both).
    private var body: ((Int) -> Void)?
    private var parts = 0
    private let nextPart = Atomic<Int>(0)
    /// One caller at a time; a second concurrent caller (or a nested call) runs elsewhere. The
    /// workers array, too, only changes under it.
    private let busy = Atomic<Bool>(false)

    /// Runs `body(part)` for every part in `0..<parts` on the caller and up to `helpers` workers,
    /// and returns when all have finished. Returns false, running nothing, if the pool is in use.
    func run(parts: Int, helpers: Int, _ body: (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        ensureWorkers(helpers)
        withoutActuallyEscaping(body) { body in
            self.body = body
            self.parts = parts
            nextPart.store(0, ordering: .relaxed)
            let offered = workers.prefix(helpers)
            for worker in offered {
                worker.state.store(Worker.offered, ordering: .sequentiallyConsistent)
                if worker.parked.exchange(false, ordering: .sequentiallyConsistent) { worker.wake.signal() }
            }
            runParts(body)
            for worker in offered {
                // Take back an offer nobody picked up; otherwise wait for the worker to finish.
                if worker.state.compareExchange(expected: Worker.offered, desired: Worker.idle,
                                                ordering: .sequentiallyConsistent).exchanged { continue }
                var spins = 0
                while worker.state.load(ordering: .acquiring) != Worker.idle {
                    spins += 1
                    if spins > 1_000 { sched_yield() }
                }
            }
            self.body = nil
        }
        return true
    }

    /// Claims and runs parts until none are left.
    private func runParts(_ body: (Int) -> Void) {
        while true {
            let part = nextPart.wrappingAdd(1, ordering: .relaxed).oldValue
            if part >= parts { return }
            body(part)
        }
    }

    private func ensureWorkers(_ count: Int) {
        while workers.count < count {
            let worker = Worker()
            workers.append(worker)
            let thread = Thread { [unowned self] in self.serve(worker) }
            thread.name = "NoisyOptim worker \(workers.count)"
            thread.start()
        }
    }

    private func serve(_ worker: Worker) {
        while true {
            var spins = 0
            while worker.state.load(ordering: .relaxed) != Worker.offered {
                spins += 1
                if spins < Self.spinsBeforeParking { continue }
                // Park. The caller sets `state` then reads `parked`; we set `parked` then read
                // `state`: one of us sees the other's write, so a wake-up is never lost.
                worker.parked.store(true, ordering: .sequentiallyConsistent)
                if worker.state.load(ordering: .sequentiallyConsistent) == Worker.offered {
                    if !worker.parked.exchange(false, ordering: .sequentiallyConsistent) {
                        worker.wake.wait() // the caller signalled after all; consume it
                    }
                    break
                }
                worker.wake.wait()
                spins = 0
            }
            guard worker.state.compareExchange(expected: Worker.offered, desired: Worker.running,
                                               ordering: .acquiring).exchanged else { continue } // taken back
            work()
            worker.state.store(Worker.idle, ordering: .releasing)
        }
    }

    /// Runs claimed parts of the current job; not inlined, so the worker's reference to the job
    /// is released before it reports idle.
    @inline(never)
    private func work() {
        guard let body else { return }
        runParts(body)
    }
}
#endif
