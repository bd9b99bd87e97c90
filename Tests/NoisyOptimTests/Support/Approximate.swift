// Support: tolerance-based comparisons shared by the tests.

import Testing

/// Asserts |actual − expected| ≤ absoluteTolerance + relativeTolerance·|expected| element by element.
/// Every caller states why its tolerance is what it is.
func expectClose(
    _ actual: [Float], _ expected: [Float],
    absoluteTolerance: Float = 0, relativeTolerance: Float = 0,
    _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, "count \(actual.count) vs \(expected.count)", sourceLocation: sourceLocation)
    guard actual.count == expected.count else { return }
    var worst = 0
    var worstExcess: Float = -.infinity
    for i in actual.indices {
        let allowed = absoluteTolerance + relativeTolerance * abs(expected[i])
        let excess = abs(actual[i] - expected[i]) - allowed
        if excess > worstExcess || excess.isNaN { worstExcess = excess.isNaN ? .infinity : excess; worst = i }
    }
    #expect(
        worstExcess <= 0,
        "element \(worst): \(actual[worst]) vs expected \(expected[worst]) (abs tol \(absoluteTolerance), rel tol \(relativeTolerance)) \(comment.map { "— \($0)" } ?? "")",
        sourceLocation: sourceLocation)
}

/// Scalar form of `expectClose`.
func expectClose(
    _ actual: Float, _ expected: Float,
    absoluteTolerance: Float = 0, relativeTolerance: Float = 0,
    _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectClose([actual], [expected], absoluteTolerance: absoluteTolerance,
                relativeTolerance: relativeTolerance, comment, sourceLocation: sourceLocation)
}

/// Double-precision scalar comparison, for statistics accumulated in Double.
func expectClose(
    _ actual: Double, _ expected: Double,
    absoluteTolerance: Double = 0, relativeTolerance: Double = 0,
    _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let allowed = absoluteTolerance + relativeTolerance * abs(expected)
    #expect(abs(actual - expected) <= allowed,
            "\(actual) vs expected \(expected) (abs tol \(absoluteTolerance), rel tol \(relativeTolerance)) \(comment.map { "— \($0)" } ?? "")",
            sourceLocation: sourceLocation)
}

/// A small deterministic generator for test inputs (SplitMix64), independent of the library's RNG
/// so a bug there cannot hide in the inputs of its own tests.
struct TestGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 { nextUInt64() }
    mutating func nextUInt64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func nextFloat() -> Float { Float(nextUInt64() >> 40) / Float(1 << 23) - 1 }
    mutating func floats(_ count: Int) -> [Float] { (0..<count).map { _ in nextFloat() } }
}
