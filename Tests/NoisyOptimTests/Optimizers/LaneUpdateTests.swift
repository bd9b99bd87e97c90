import Testing
@testable import NoisyOptim

// The lane updates' masked form, bit for bit: a skipped lane keeps every bit of θ and the state
// (−0, NaN payloads, ±∞, subnormals), and an updated lane holds exactly the scalar formula's
// result. Exact comparisons (bit patterns): the updates promise the general path's bits.

/// Four lanes of θ whose bits a sloppy masked write would change: −0 (θ + 0 is +0), a NaN with a
/// payload, −∞ and a subnormal.
private let awkwardTheta: [Float] = [-0.0, Float(bitPattern: 0x7FC0_1234), -.infinity, Float(bitPattern: 0x0000_0007)]
private let ordinaryTheta: [Float] = [0.75, -1.5, 3.25, -0.0]
private let directions = SIMD4<Float>(0.5, -2.0, 1.0e-3, -0.0)

/// Each mask of the four lanes (all 16), so every lane is seen skipped and updated.
private func masks() -> [SIMDMask<SIMD4<Int32>>] {
    (0..<16).map { (m: Int) -> SIMDMask<SIMD4<Int32>> in
        let lanes: [Int32] = (0..<4).map { (lane: Int) -> Int32 in (m >> lane) & 1 == 1 ? 1 : 0 }
        return SIMD4<Int32>(lanes) .!= 0
    }
}

@Suite struct LaneUpdateTests {
    @Test(arguments: [awkwardTheta, ordinaryTheta])
    func descentKeepsSkippedLanesAndAddsExactly(_ start: [Float]) {
        let alpha: Float = -0.1
        for skipped in masks() {
            var theta = start
            let gradient = [Float](repeating: 0, count: 4)
            theta.withUnsafeMutableBufferPointer { t in
                gradient.withUnsafeBufferPointer { g in
                    let block = FusedBlock(range: 0..<4, gradient: g.baseAddress!, parameters: t.baseAddress!, alpha: alpha, sign: 1)
                    DescentLanes(block).update(directions, at: 0, skipping: skipped)
                }
            }
            for lane in 0..<4 {
                let expected = skipped[lane] ? start[lane] : start[lane] + alpha * directions[lane]
                #expect(theta[lane].bitPattern == expected.bitPattern, "lane \(lane), skipped \(skipped[lane])")
            }
        }
    }

    @Test(arguments: [awkwardTheta, ordinaryTheta])
    func heavyBallAndNesterovKeepSkippedLanesAndUpdateExactly(_ start: [Float]) {
        let alpha: Float = -0.05, mu: Float = 0.9, scale: Float = 0.75
        let startVelocity: [Float] = [-0.0, 2.5, Float(bitPattern: 0xFFC0_0042), -3.0e-39]
        for nesterov in [false, true] {
            for skipped in masks() {
                var theta = start, velocity = startVelocity
                theta.withUnsafeMutableBufferPointer { t in
                    velocity.withUnsafeMutableBufferPointer { v in
                        let lanes = HeavyBallLanes(parameters: t.baseAddress!, velocity: v.baseAddress!, alpha: alpha,
                                                   momentum: mu, gradientScale: scale)
                        if nesterov {
                            NesterovLanes(lanes).update(directions, at: 0, skipping: skipped)
                        } else {
                            lanes.update(directions, at: 0, skipping: skipped)
                        }
                    }
                }
                for lane in 0..<4 {
                    let d = directions[lane]
                    let next = mu * startVelocity[lane] + scale * d
                    let step = nesterov ? d + mu * next : next
                    let expectedV = skipped[lane] ? startVelocity[lane] : next
                    let expectedTheta = skipped[lane] ? start[lane] : start[lane] + alpha * step
                    let label = "lane \(lane), skipped \(skipped[lane]), nesterov \(nesterov)"
                    #expect(velocity[lane].bitPattern == expectedV.bitPattern, "v: \(label)")
                    #expect(theta[lane].bitPattern == expectedTheta.bitPattern, "θ: \(label)")
                }
            }
        }
    }
}
