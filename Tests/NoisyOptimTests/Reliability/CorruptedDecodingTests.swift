import Foundation
import Testing
import NoisyOptim

/// Checkpoints and configurations read back from damaged JSON: truncated at many points, with a
/// field removed, with a value of the wrong type, or with a number changed. Each is refused with a
/// typed error (`DecodingError`, or the initializer's own `OptimizerError`/`SamplingError`) or,
/// for a changed number, decodes to a value that passed validation — never a trap.
@Suite struct CorruptedDecodingTests {
    /// A sample of every kind of value the library encodes.
    static func samples() throws -> [(name: String, json: Data, decode: @Sendable (Data) throws -> Void)] {
        let n = 5
        var layout = ParameterLayout()
        layout.append("dense.weight", shape: [2, 2], role: .weight)
        layout.append("dense.bias", shape: [1], role: .bias)
        let gradient = Tensor((0..<n).map { Float($0) - 2 })
        var theta = Tensor(shape: [n], repeating: 1)
        var sgd = try SGD(layout: layout, learningRate: 0.1, momentum: 0.9).withClipping(.globalNorm(1)).withGradientNoise(GradientNoise(eta: 0.3, seed: 4))
        var adam = try Adam(layout: layout, learningRate: 0.01)
        var pgd = try PerturbedGD(layout: layout, learningRate: 0.1, perturbation: Perturbation(sigma: 0.1, mode: .everyParameter, seed: 9))
        for _ in 0..<2 {
            try sgd.step(&theta, gradient: gradient)
            try adam.step(&theta, gradient: gradient)
            try pgd.step(&theta, gradient: gradient)
        }
        var generator = Philox4x32(seed: 3)
        _ = generator.next()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        func entry<T: Codable>(_ name: String, _ value: T) throws -> (String, Data, @Sendable (Data) throws -> Void) {
            (name, try encoder.encode(value), { _ = try JSONDecoder().decode(T.self, from: $0) })
        }
        return [
            try entry("SGD.State", sgd.state),
            try entry("Adam.State", adam.state),
            try entry("PerturbedGD.State", pgd.state),
            try entry("ParameterLayout", layout),
            try entry("Schedule", Schedule.warmup(steps: 10, from: 0, then: .cosine(initial: 0.1, totalSteps: 100, final: 0.01))),
            try entry("Schedule.step", Schedule.step(initial: 0.1, factor: 0.5, every: 10)),
            try entry("GradientNoise", GradientNoise(eta: .inverseTime(initial: 0.3, rate: 0.1), gamma: 0.55, seed: 1)),
            try entry("GradientClipping", GradientClipping.value(2)),
            try entry("SGDSampling", SGDSampling(exampleCount: 10, batchSize: 3)),
            try entry("BernoulliSampling", BernoulliSampling(exampleCount: 10, keepProbability: 0.3)),
            try entry("GaussianSampling", GaussianSampling(exampleCount: 10, sigma: 2, covariance: .diagonal)),
            try entry("MiniBatchGaussianSampling", MiniBatchGaussianSampling(exampleCount: 10, batchSize: 4, sigma: 1)),
            try entry("SparseGaussianSampling", SparseGaussianSampling(exampleCount: 10, support: 4, sigma: 1)),
            try entry("FullBatch", FullBatch(exampleCount: 10)),
            try entry("SampleWeights", SampleWeights.batch([3, 1], exampleCount: 4)),
            try entry("Standardizer", Standardizer(fitting: Tensor(shape: [3, 2], scalars: [1, 2, 3, 5, 5, 9]))),
            try entry("Tensor", Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])),
            try entry("Philox4x32", generator),
        ]
    }

    /// True if `error` is one of the typed errors a decoder may throw.
    static func isTyped(_ error: any Error) -> Bool {
        error is DecodingError || error is OptimizerError || error is SamplingError
    }

    static func expectRefused(_ name: String, _ what: String, _ data: Data, _ decode: (Data) throws -> Void,
                              mayDecode: Bool = false) {
        do {
            try decode(data)
            if !mayDecode { Issue.record("\(name), \(what): decoded") }
        } catch {
            #expect(isTyped(error), "\(name), \(what): \(error)")
        }
    }

    /// Places where a decoder may accept what is written, so only the absence of a trap is
    /// checked: the state of a stateless transform is `{}` and holds nothing to lose, and
    /// Philox's `buffered` half block is optional (absent when none is waiting).
    static func mayDecode(_ path: [JSONTree.Step], original: Any) -> Bool {
        if let object = original as? [String: Any], object.isEmpty { return true }
        if case let .key(k)? = path.last, k == "buffered" { return true }
        return false
    }

    @Test func truncatedAtManyPoints() throws {
        for (name, json, decode) in try Self.samples() {
            let step = max(1, json.count / 80)
            for cut in stride(from: 0, to: json.count, by: step) {
                Self.expectRefused(name, "cut at \(cut) of \(json.count)", json.prefix(cut), decode)
            }
        }
    }

    @Test func everyFieldRemoved() throws {
        for (name, json, decode) in try Self.samples() {
            let tree = try JSONSerialization.jsonObject(with: json, options: .fragmentsAllowed)
            let keys = JSONTree.paths(in: tree).filter { if case .key = $0.last { return true } else { return false } }
            #expect(!keys.isEmpty, "\(name)")
            for path in keys {
                let damaged = JSONTree.removing(path, from: tree)
                Self.expectRefused(name, "without \(path)", try JSONSerialization.data(withJSONObject: damaged, options: .fragmentsAllowed), decode,
                                   mayDecode: Self.mayDecode(path, original: JSONTree.value(at: path, in: tree)))
            }
        }
    }

    /// Each value replaced by one of another type: an object where a scalar or array was, a
    /// string where an object was.
    @Test func everyValueOfTheWrongType() throws {
        for (name, json, decode) in try Self.samples() {
            let tree = try JSONSerialization.jsonObject(with: json, options: .fragmentsAllowed)
            for path in JSONTree.paths(in: tree) where !path.isEmpty {
                let original = JSONTree.value(at: path, in: tree)
                let replacement: Any = original is [String: Any] ? "wrong type" : ["wrong": "type"]
                let damaged = JSONTree.replacing(path, with: replacement, in: tree)
                let optional = Self.mayDecode(path, original: original)
                Self.expectRefused(name, "\(path) → \(replacement)", try JSONSerialization.data(withJSONObject: damaged, options: .fragmentsAllowed), decode,
                                   mayDecode: optional)
                let withNull = JSONTree.replacing(path, with: NSNull(), in: tree)
                Self.expectRefused(name, "\(path) → null", try JSONSerialization.data(withJSONObject: withNull, options: .fragmentsAllowed), decode,
                                   mayDecode: optional)
            }
        }
    }

    /// Numbers changed to values that are out of range for most fields: each either decodes (and
    /// so passed the type's validation) or is refused with a typed error.
    @Test func numbersChanged() throws {
        for (name, json, decode) in try Self.samples() {
            let tree = try JSONSerialization.jsonObject(with: json, options: .fragmentsAllowed)
            for path in JSONTree.paths(in: tree) where JSONTree.value(at: path, in: tree) is NSNumber {
                for number in [-1, 0, 0.5, 1e300, -1e300, 9.3e18] as [Double] {
                    let damaged = JSONTree.replacing(path, with: NSNumber(value: number), in: tree)
                    do {
                        try decode(try JSONSerialization.data(withJSONObject: damaged, options: .fragmentsAllowed))
                    } catch {
                        #expect(Self.isTyped(error), "\(name), \(path) → \(number): \(error)")
                    }
                }
            }
        }
    }

    /// Values the types' own rules forbid, each refused where the issue found them accepted.
    static let invalid: [(name: String, json: String, decode: @Sendable (Data) throws -> Void)] = [
        ("FullBatch with no examples", #"{"exampleCount":0}"#, { _ = try JSONDecoder().decode(FullBatch.self, from: $0) }),
        ("SGDSampling b > n", #"{"exampleCount":3,"batchSize":4,"withReplacement":false}"#,
         { _ = try JSONDecoder().decode(SGDSampling.self, from: $0) }),
        ("cosine over 0 steps", #"{"cosine":{"initial":0.1,"totalSteps":0,"final":0}}"#,
         { _ = try JSONDecoder().decode(Schedule.self, from: $0) }),
        ("step every 0", #"{"step":{"initial":0.1,"factor":0.5,"every":0}}"#, { _ = try JSONDecoder().decode(Schedule.self, from: $0) }),
        ("noise with γ < 0", #"{"eta":{"constant":{"_0":0.3}},"gamma":-1,"seed":0}"#,
         { _ = try JSONDecoder().decode(GradientNoise.self, from: $0) }),
        ("noise with η = 1e300", #"{"eta":{"constant":{"_0":1e300}},"gamma":0.55,"seed":0}"#,
         { _ = try JSONDecoder().decode(GradientNoise.self, from: $0) }),
        ("clipping at 0", #"{"globalNorm":{"_0":0}}"#, { _ = try JSONDecoder().decode(GradientClipping.self, from: $0) }),
        ("clipping at 1e-50", #"{"value":{"_0":1e-50}}"#, { _ = try JSONDecoder().decode(GradientClipping.self, from: $0) }),
        ("tensor shape overflow", #"{"shape":[4294967296,4294967296],"scalars":[]}"#, { _ = try JSONDecoder().decode(Tensor.self, from: $0) }),
        ("tensor negative size", #"{"shape":[-1,-2],"scalars":[1,2]}"#, { _ = try JSONDecoder().decode(Tensor.self, from: $0) }),
        ("tensor short", #"{"shape":[2,2],"scalars":[1,2,3]}"#, { _ = try JSONDecoder().decode(Tensor.self, from: $0) }),
        ("layout with a gap",
         #"{"count":4,"segments":[{"name":"a","offset":0,"role":"weight","shape":[2]},{"name":"b","offset":3,"role":"bias","shape":[1]}]}"#,
         { _ = try JSONDecoder().decode(ParameterLayout.self, from: $0) }),
        ("layout with a wrong count", #"{"count":7,"segments":[{"name":"a","offset":0,"role":"weight","shape":[2]}]}"#,
         { _ = try JSONDecoder().decode(ParameterLayout.self, from: $0) }),
        ("layout with a repeated name",
         #"{"count":2,"segments":[{"name":"a","offset":0,"role":"weight","shape":[1]},{"name":"a","offset":1,"role":"bias","shape":[1]}]}"#,
         { _ = try JSONDecoder().decode(ParameterLayout.self, from: $0) }),
        ("segment overflow", #"{"name":"a","offset":9223372036854775807,"role":"weight","shape":[2]}"#,
         { _ = try JSONDecoder().decode(ParameterSegment.self, from: $0) }),
        ("weights index out of range", #"{"exampleCount":2,"indices":[0,2],"weights":[0.5,0.5]}"#,
         { _ = try JSONDecoder().decode(SampleWeights.self, from: $0) }),
        ("weights count mismatch", #"{"exampleCount":2,"indices":[0,1],"weights":[1]}"#,
         { _ = try JSONDecoder().decode(SampleWeights.self, from: $0) }),
        ("standardizer scale 0", #"{"mean":{"shape":[1],"scalars":[0]},"scale":{"shape":[1],"scalars":[0]}}"#,
         { _ = try JSONDecoder().decode(Standardizer.self, from: $0) }),
        ("standardizer lengths differ", #"{"mean":{"shape":[2],"scalars":[0,1]},"scale":{"shape":[1],"scalars":[1]}}"#,
         { _ = try JSONDecoder().decode(Standardizer.self, from: $0) }),
    ]

    @Test(arguments: invalid.indices)
    func ruleBreakingValuesAreRefused(_ index: Int) {
        let c = Self.invalid[index]
        Self.expectRefused(c.name, "as written", Data(c.json.utf8), c.decode)
    }

    /// The issue's FullBatch case throws the initializer's error, naming the value.
    @Test func fullBatchNamesTheValue() {
        #expect(throws: SamplingError.invalidParameter(name: "exampleCount", value: 0, requirement: "at least 1 example")) {
            try JSONDecoder().decode(FullBatch.self, from: Data(#"{"exampleCount":0}"#.utf8))
        }
    }

    /// What decodes is what was encoded.
    @Test func intactValuesRoundTrip() throws {
        for (name, json, decode) in try Self.samples() {
            #expect(throws: Never.self, "\(name)") { try decode(json) }
        }
    }
}

/// Paths into a `JSONSerialization` tree and copies of the tree with one place changed.
enum JSONTree {
    enum Step: CustomStringConvertible {
        case key(String)
        case index(Int)
        var description: String {
            switch self {
            case let .key(k): k
            case let .index(i): "[\(i)]"
            }
        }
    }

    /// Every place in the tree, the root first; arrays contribute their first and last element.
    static func paths(in tree: Any) -> [[Step]] {
        var result: [[Step]] = [[]]
        if let object = tree as? [String: Any] {
            for key in object.keys.sorted() {
                result += paths(in: object[key]!).map { [.key(key)] + $0 }
            }
        } else if let array = tree as? [Any], !array.isEmpty {
            for i in Set([0, array.count - 1]).sorted() {
                result += paths(in: array[i]).map { [.index(i)] + $0 }
            }
        }
        return result
    }

    static func value(at path: [Step], in tree: Any) -> Any {
        guard let first = path.first else { return tree }
        switch first {
        case let .key(k): return value(at: Array(path.dropFirst()), in: (tree as! [String: Any])[k]!)
        case let .index(i): return value(at: Array(path.dropFirst()), in: (tree as! [Any])[i])
        }
    }

    static func replacing(_ path: [Step], with replacement: Any?, in tree: Any) -> Any {
        guard let first = path.first else { return replacement ?? NSNull() }
        let rest = Array(path.dropFirst())
        switch first {
        case let .key(k):
            var object = tree as! [String: Any]
            if rest.isEmpty && replacement == nil { object[k] = nil } else { object[k] = replacing(rest, with: replacement, in: object[k]!) }
            return object
        case let .index(i):
            var array = tree as! [Any]
            array[i] = replacing(rest, with: replacement, in: array[i])
            return array
        }
    }

    static func removing(_ path: [Step], from tree: Any) -> Any { replacing(path, with: nil, in: tree) }
}
