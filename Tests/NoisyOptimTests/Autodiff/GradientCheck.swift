// GradientCheck: compares the tape's gradients with central finite differences of its own
// Float32 forward.
//
// Why Float32 differences of the tape's forward, not a Double reference: the forward being
// differentiated is the one that runs, so an op whose forward and pullback disagree is caught
// even where a separate reference would be right; each forward is itself compared with the
// Tensor op it mirrors (tested on main against naive twins) in the closed-form tests.
//
// Step and tolerance. Inputs are O(1) and ε = 1e-2. The central difference's truncation error is
// ε²/6·|f‴| (≈ 2e-5·|f‴|; largest here for 1/b with b ≥ 0.5), and its rounding error is about
// (ULP-level error of f)/ε, with f = Σ cⱼyⱼ summed in Double. Tolerance: |analytic − fd| ≤
// 1e-3·(1 + |fd|). Measured over three seeds, the worst case at ε = 1e-2 is 1.8e-4 (a quotient:
// truncation), a 5× margin; at ε = 1e-5 cancellation makes the worst case 3.5e-2, and
// `tooSmallAStepFails` keeps that on record.

import Testing
@testable import NoisyOptim

/// Where an input's scalars are drawn: away from the kinks of relu/abs and from 0 for ÷ and log.
enum InputDomain: Sendable {
    /// Uniform in [−1, 1).
    case any
    /// |x| in [0.2, 1): keeps a step of ε = 1e-2 from crossing 0.
    case awayFromZero
    /// [0.5, 1.5): positive, for log and divisors.
    case positive

    func draw(_ generator: inout TestGenerator, count: Int) -> [Float] {
        (0..<count).map { _ in
            let u = generator.nextFloat()
            switch self {
            case .any: return u
            case .awayFromZero: return (u < 0 ? -1 : 1) * (0.2 + 0.8 * Swift.abs(u))
            case .positive: return 1 + 0.5 * u
            }
        }
    }
}

/// One differentiable expression of some input tensors.
struct GradientCase: Sendable, CustomTestStringConvertible {
    let name: String
    let inputs: [(shape: [Int], domain: InputDomain)]
    let f: @Sendable ([Variable]) -> Variable

    init(_ name: String, _ inputs: [(shape: [Int], domain: InputDomain)], _ f: @escaping @Sendable ([Variable]) -> Variable) {
        self.name = name
        self.inputs = inputs
        self.f = f
    }

    init(_ name: String, _ shapes: [[Int]], _ f: @escaping @Sendable ([Variable]) -> Variable) {
        self.init(name, shapes.map { ($0, InputDomain.any) }, f)
    }

    var testDescription: String { name }
}

struct GradientCheck {
    static let step: Float = 1e-2
    static let tolerance: Float = 1e-3

    /// The largest |analytic − finite difference| − tolerance·(1 + |fd|) over every input scalar
    /// (≤ 0 passes), with where it happened.
    struct Report {
        var worstExcess: Float = -.infinity
        var worstPlace = ""
        var checked = 0
        /// The largest |analytic − fd| / (1 + |fd|): the tolerance a check would need.
        var worstRelativeError: Float = 0
    }

    /// Draws inputs, seeds the backward with a random cotangent c (so every output element
    /// matters), and compares ∂(Σ c⊙f)/∂x with central differences of Σ c⊙f(x ± ε).
    static func run(_ testCase: GradientCase, seed: UInt64 = 1, step: Float = GradientCheck.step,
                    tolerance: Float = GradientCheck.tolerance) -> Report {
        var generator = TestGenerator(seed: seed)
        var inputs = testCase.inputs.map { input in
            Tensor(shape: input.shape, scalars: input.domain.draw(&generator, count: input.shape.reduce(1, *)))
        }
        let tape = Tape() // one tape for every evaluation: its reuse across recordings is exercised too
        let (cotangent, gradients) = tape.record { tape in
            let variables = inputs.map { tape.variable($0) }
            let y = testCase.f(variables)
            let c = Tensor(shape: y.shape, scalars: generator.floats(y.shape.reduce(1, *)))
            tape.backward(from: y, seed: c)
            return (c, variables.map { tape.gradient(of: $0) })
        }
        func objective(_ inputs: [Tensor]) -> Double {
            let y = tape.record { tape in testCase.f(inputs.map { tape.constant($0) }).value }
            return zip(y.scalars, cotangent.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        var report = Report()
        for k in inputs.indices {
            for e in 0..<inputs[k].count {
                let original = inputs[k].scalars[e]
                inputs[k].withUnsafeMutableBufferPointer { $0[e] = original + step }
                let plus = objective(inputs)
                inputs[k].withUnsafeMutableBufferPointer { $0[e] = original - step }
                let minus = objective(inputs)
                inputs[k].withUnsafeMutableBufferPointer { $0[e] = original }
                let difference = Float((plus - minus) / (2 * Double(step)))
                let analytic = gradients[k].scalars[e]
                let excess = Swift.abs(analytic - difference) - tolerance * (1 + Swift.abs(difference))
                report.checked += 1
                report.worstRelativeError = Swift.max(report.worstRelativeError, Swift.abs(analytic - difference) / (1 + Swift.abs(difference)))
                if excess > report.worstExcess || excess.isNaN {
                    report.worstExcess = excess.isNaN ? .infinity : excess
                    report.worstPlace = "input \(k) scalar \(e): analytic \(analytic), finite difference \(difference)"
                }
            }
        }
        return report
    }
}
