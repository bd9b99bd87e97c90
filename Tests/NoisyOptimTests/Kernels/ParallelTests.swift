import Foundation
import Testing
@testable import NoisyOptim

@Suite struct ParallelTests {
    @Test(arguments: [0, 1, 7, 64, 1023])
    func chunksCoverEveryIndexOnce(count: Int) {
        var hits = [Int](repeating: 0, count: count)
        hits.withUnsafeMutableBufferPointer { hits in
            let base = hits.baseAddress
            Parallel.forEachChunk(count: count, minimumChunk: 8) { range in
                for i in range { base![i] += 1 }
            }
        }
        #expect(hits.allSatisfy { $0 == 1 })
    }

    /// Many callers at once (the pool serves one, the others fall back to Dispatch), calls nested
    /// inside parts, and back-to-back calls that catch workers spinning, parking and waking:
    /// every index is still visited exactly once and no call returns before its parts finish.
    @Test func concurrentAndNestedCallsEachVisitEveryIndexOnce() {
        let saved = Parallelism.maximumThreadCount
        Parallelism.maximumThreadCount = 4 // more threads than this machine may have cores
        defer { Parallelism.maximumThreadCount = saved }
        let callers = 6, rounds = 200, count = 64
        var hits = [Int](repeating: 0, count: callers * rounds * count * 2)
        hits.withUnsafeMutableBufferPointer { hits in
            let base = UncheckedSendable(hits.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: callers) { caller in
                for round in 0..<rounds {
                    let offset = (caller * rounds + round) * count * 2
                    Parallel.forEachTask(4) { task in
                        // Nested: runs while the outer call holds the pool.
                        Parallel.forEachChunk(count: count / 4, minimumChunk: 1) { range in
                            for i in range { base.value[offset + task * count / 4 + i] += 1 }
                        }
                    }
                    Parallel.forEachChunk(count: count, minimumChunk: 1) { range in
                        for i in range { base.value[offset + count + i] += 1 }
                    }
                    if round % 50 == 0 { usleep(2_000) } // long enough for idle workers to park
                }
            }
        }
        #expect(hits.allSatisfy { $0 == 1 })
    }

    @Test func tasksRunOnce() {
        var hits = [Int](repeating: 0, count: 37)
        hits.withUnsafeMutableBufferPointer { hits in
            let base = hits.baseAddress!
            Parallel.forEachTask(37) { base[$0] += 1 }
        }
        #expect(hits.allSatisfy { $0 == 1 })
    }
}
