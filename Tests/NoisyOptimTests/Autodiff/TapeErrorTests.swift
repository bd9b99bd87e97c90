import Testing
@testable import NoisyOptim

/// Misuse stops the process with a message that says what was wrong (exit tests: each body
/// runs in a child process, whose standard error is checked for the message).
@Suite struct TapeErrorTests {
    private func expectMessage(_ result: ExitTest.Result?, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        for fragment in fragments {
            #expect(text.contains(fragment), "standard error lacks \"\(fragment)\": \(text.prefix(400))", sourceLocation: sourceLocation)
        }
    }

    @Test func backwardFromANonScalarNeedsASeed() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Tape().record { tape in
                let x = tape.variable(Tensor(shape: [2, 3], repeating: 1))
                tape.backward(from: x * 2)
            }
        }
        expectMessage(result, ["backward from a variable of shape [2, 3] needs a seed gradient"])
    }

    @Test func seedMustHaveTheShapeOfTheVariable() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Tape().record { tape in
                let x = tape.variable(Tensor(shape: [2, 3], repeating: 1))
                tape.backward(from: x, seed: Tensor([1, 2, 3]))
            }
        }
        expectMessage(result, ["the seed has shape [3] but the variable has shape [2, 3]"])
    }

    @Test func variableFromAnotherTape() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let first = Tape(), second = Tape()
            first.record { a in
                second.record { b in
                    _ = a.variable(Tensor([1, 2])) + b.variable(Tensor([3, 4]))
                }
            }
        }
        expectMessage(result, ["+: the variable belongs to another tape"])
    }

    @Test func variableFromAnEndedRecording() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let tape = Tape()
            let escaped = tape.record { $0.variable(Tensor([1, 2])) }
            tape.record { _ in _ = relu(escaped) }
        }
        expectMessage(result, ["relu: the variable is from a recording that has ended"])
    }

    @Test func broadcastMismatchNamesBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Tape().record { tape in
                _ = tape.variable(Tensor(shape: [2, 3], repeating: 1)) * tape.constant(Tensor([1, 2]))
            }
        }
        expectMessage(result, ["*: shapes [2, 3] and [2] do not broadcast"])
    }

    @Test func matmulMismatchNamesBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Tape().record { tape in
                _ = matmul(tape.variable(Tensor(shape: [2, 3], repeating: 1)), tape.variable(Tensor(shape: [4, 5], repeating: 1)))
            }
        }
        expectMessage(result, ["matmul: shapes [2, 3] and [4, 5] do not agree (3 vs 4)"])
    }

    @Test func linearMismatchNamesBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Tape().record { tape in
                let x = tape.variable(Tensor(shape: [8, 3], repeating: 1)), w = tape.variable(Tensor(shape: [4, 2], repeating: 1))
                _ = linear(x, weight: w, bias: nil)
            }
        }
        expectMessage(result, ["linear: input [8, 3] and weight [4, 2] do not agree (3 vs 4)"])
    }

    @Test func lossMismatchNamesBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Tape().record { tape in
                _ = squaredError(predictions: tape.variable(Tensor(shape: [4, 2], repeating: 1)), targets: Tensor([1, 2, 3, 4]), convention: .sum)
            }
        }
        expectMessage(result, ["squaredError: predictions [4, 2] and targets [4] must have the same shape"])
    }

    @Test func labelOutOfRange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Tape().record { tape in
                _ = softmaxCrossEntropy(logits: tape.variable(Tensor(shape: [2, 3], repeating: 0)), labels: [1, 3])
            }
        }
        expectMessage(result, ["softmaxCrossEntropy: label 3 of row 1 is outside 0..<3"])
    }

    @Test func lossMustBeAScalar() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var layout = ParameterLayout()
            let w = layout.append("w", shape: [3])
            _ = valueWithGradient(at: Tensor([1, 2, 3]), in: layout) { tape in square(tape.parameter(w)) }
        }
        expectMessage(result, ["the loss has shape [3] but must be one scalar"])
    }

    @Test func parameterFromAnotherLayout() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var layout = ParameterLayout(), other = ParameterLayout()
            layout.append("w", shape: [3])
            let foreign = other.append("v", shape: [3])
            _ = valueWithGradient(at: Tensor([1, 2, 3]), in: layout) { tape in tape.parameter(foreign).sum() }
        }
        expectMessage(result, ["segment v [3] at offset 0 is not in the layout being recorded"])
    }
}
