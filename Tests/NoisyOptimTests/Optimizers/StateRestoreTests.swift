import Foundation
import Testing
@testable import NoisyOptim

/// A checkpoint restores exactly or is refused with a typed error naming both sides; its parts are
/// stored by name, whatever the chain's nesting.
@Suite struct StateRestoreTests {
    private func json(_ value: some Encodable) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as! [String: Any]
    }

    private func data(_ object: [String: Any]) throws -> Data { try JSONSerialization.data(withJSONObject: object) }

    @Test func aStateForOtherBufferSizesIsRefusedNamingBothSides() throws {
        // The case that corrupted the heap before: an Adam state for 67 parameters given to a
        // 131-parameter Adam.
        var small = try Adam(layout: .flat(count: 67))
        var theta = Tensor.zeros([67])
        try small.step(&theta, gradient: Tensor(shape: [67], repeating: 1))
        var large = try Adam(layout: .flat(count: 131))
        let before = large.state
        #expect(throws: OptimizerError.stateMismatch(part: "adam.firstMoment", expected: "shape [131]", found: "shape [67]")) {
            try large.restore(small.state)
        }
        #expect(large.state == before)

        var momentum = try SGD(layout: .flat(count: 10), momentum: 0.9)
        var foreign = momentum.state
        foreign.rule.second.velocity = .zeros([9])
        #expect(throws: OptimizerError.stateMismatch(part: "momentum.velocity", expected: "shape [10]", found: "shape [9]")) {
            try momentum.restore(foreign)
        }
        foreign = momentum.state
        foreign.step = -1
        #expect(throws: OptimizerError.stateMismatch(part: "step", expected: "a step count ≥ 0", found: "-1")) {
            try momentum.restore(foreign)
        }
        #expect(momentum.stepCount == 0)
    }

    @Test func decodingRefusesMissingPartsNegativeStepsAndOtherVersions() throws {
        let sgd = try SGD(layout: .flat(count: 5), momentum: 0.9).withGradientNoise(GradientNoise(eta: 0.1, seed: 3))
        var object = try json(sgd.state)
        #expect(object["formatVersion"] as? Int == 2)

        var parts = object["parts"] as! [String: Any]
        parts.removeValue(forKey: "momentum")
        object["parts"] = parts
        #expect {
            _ = try JSONDecoder().decode(SGD.State.self, from: data(object))
        } throws: { error in
            guard case let DecodingError.keyNotFound(key, _) = error else { return false }
            return key.stringValue == "momentum"
        }

        object = try json(sgd.state)
        object["step"] = -3
        #expect(throws: DecodingError.self) { _ = try JSONDecoder().decode(SGD.State.self, from: data(object)) }
        object = try json(sgd.state)
        object["formatVersion"] = 1
        #expect(throws: DecodingError.self) { _ = try JSONDecoder().decode(SGD.State.self, from: data(object)) }

        // An SGD checkpoint is not an Adam one: its "adam" part is missing.
        #expect(throws: DecodingError.self) { _ = try JSONDecoder().decode(Adam.State.self, from: JSONEncoder().encode(sgd.state)) }
    }

    @Test func partsAreNamedNotPositioned() throws {
        // The same momentum state under SGD's chain and under a chain with an extra stage before
        // it encodes to the same "momentum" part; stateless links take no key.
        var layout = ParameterLayout()
        layout.append("w", shape: [6])
        var sgd = try SGD(layout: layout, learningRate: 0.1, momentum: 0.9)
            .withGradientNoise(GradientNoise(eta: 0.1, seed: 1))
        var longer = try ChainOptimizer(layout: layout, rule: chain(try AddWeightDecay(0), try ClipGradient(nil),
                                                                    try Momentum(0.9)), learningRate: 0.1)
            .withGradientNoise(GradientNoise(eta: 0.1, seed: 1))
        var a = Tensor([1, 2, 3, 4, 5, 6]), b = a
        try sgd.step(&a, gradient: Tensor(shape: [6], repeating: 1))
        try longer.step(&b, gradient: Tensor(shape: [6], repeating: 1))
        let first = try json(sgd.state)["parts"] as! [String: Any]
        let second = try json(longer.state)["parts"] as! [String: Any]
        #expect(Set(first.keys) == ["gradientNoise", "momentum", "parameterNoise"])
        #expect(Set(second.keys) == Set(first.keys))
        let bytes = { (part: Any?) in try JSONSerialization.data(withJSONObject: part!, options: .sortedKeys) }
        #expect(try bytes(first["momentum"]) == bytes(second["momentum"]))
        // And it restores across the two chains.
        try longer.restore(try JSONDecoder().decode(type(of: longer.state), from: JSONEncoder().encode(sgd.state)))
        #expect(longer.state.rule.second.velocity == sgd.state.rule.second.velocity)
    }

    @Test func twoStatefulPartsWithOneNameAreRefusedAtConstruction() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Chain(try! Momentum(0.9), try! Momentum(0.5))
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("two parts of a chain are both named [\"momentum\"]"), "\(text.prefix(300))")
    }

    @Test func aStateBufferOfTheWrongSizeNeverReachesAKernel() async {
        // A transform whose plan opens a buffer that does not fit stops with both sizes named.
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var tensor = Tensor.zeros([3])
            _ = tensor.openForStep(count: 4, owner: "accumulator")
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("accumulator: its state buffer holds 3 scalars but the parameters have 4"), "\(text.prefix(300))")
    }
}
