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

    @Test func tasksRunOnce() {
        var hits = [Int](repeating: 0, count: 37)
        hits.withUnsafeMutableBufferPointer { hits in
            let base = hits.baseAddress!
            Parallel.forEachTask(37) { base[$0] += 1 }
        }
        #expect(hits.allSatisfy { $0 == 1 })
    }
}
