// Tape: the Wengert list of a define-by-run computation, its variables, and the backward loop.
//
// Every op appends one node (what it computed, from which nodes) as it runs; `backward` walks the
// nodes in reverse and each node's pullback adds its contribution to its inputs' gradients. The
// nodes are already in execution order, so no graph sort is needed.
//
// Memory: values and gradients live in a bump arena (`TapeArena`) that is reset, not freed, when
// the next recording starts, and node, shape and index lists keep their capacity. A training step
// that repeats the same computation therefore makes no heap allocation in the tape once the first
// step has sized the arena (checked under valgrind: the only allocations left in a steady MLP step
// are the GEMM's packing buffers; the autodiff bench shows resident memory flat over 10,000 steps).

/// A recording of one computation for reverse-mode differentiation.
///
/// Use it through `valueWithGradient(at:in:_:)` (parameters in a flat vector, gradient in the same
/// layout) or `valueWithGradient(at:_:)` (one tensor). A closure receives the tape, builds a scalar
/// from `Variable`s with the usual operators and functions, and gets back the value and the
/// gradient:
///
/// ```swift
/// var layout = ParameterLayout()
/// let w = layout.append("w", shape: [3])
/// let (loss, gradient) = valueWithGradient(at: Tensor([1, 2, 3]), in: layout) { tape in
///     square(tape.parameter(w)).sum()
/// }                                        // loss = 14, gradient = [2, 4, 6]
/// ```
///
/// A tape records one computation at a time and its variables are valid only during that call;
/// using one later, or with another tape, stops with a message. Keep one `Tape` across training
/// steps (as `MLP.objective` does) to reuse its buffers: after the first step, recording and
/// differentiating a computation of the same shape allocates no memory.
public final class Tape {
    // The stored properties opt out of dynamic exclusivity checks: every op reads and writes
    // `nodes` and the arena, and the checks (a thread-local access set per access) were a tenth of
    // a small recording's time. A Tape is used from one thread at a time and no method holds an
    // access across a call back into the tape, so there is no overlap for them to catch.
    @exclusivity(unchecked) var nodes: [TapeNode] = []
    /// Integer operands of recorded ops (class labels, gathered row indices), by position.
    @exclusivity(unchecked) var integers: [Int] = []
    /// Caller tensors the nodes point into, kept alive until the recording ends.
    @exclusivity(unchecked) var retained: [Tensor] = []
    @exclusivity(unchecked) var arena = TapeArena()
    /// Bumped when a recording ends, so variables of a finished recording are recognized.
    @exclusivity(unchecked) var generation = 0
    @exclusivity(unchecked) var isRecording = false
    @exclusivity(unchecked) var hasRunBackward = false

    // The flat parameter vector of the recording, its layout, and the node of each segment.
    @exclusivity(unchecked) var parameters: Tensor?
    @exclusivity(unchecked) var layout: ParameterLayout?
    @exclusivity(unchecked) var parameterNodes: [Int] = []
    /// The flat gradient handed to callers; reused when they no longer hold it.
    @exclusivity(unchecked) var flatGradient = Tensor(uninitializedShape: [0])
    /// The first node that reads each parameter leaf, as (node, segment position), in recording
    /// order and so sorted by node. A pullback writes only its operands' gradients, and an
    /// operand comes before the node that reads it; backward runs the nodes in reverse, so once
    /// it has passed a segment's first reader nothing writes that segment's gradient again: the
    /// gradient is final there, and just written (still in cache) for its finiteness check.
    @exclusivity(unchecked) var segmentFinishers: [(node: Int, segment: Int)] = []
    /// Per segment position: whether the recording has a first reader of its leaf yet.
    @exclusivity(unchecked) var segmentHasReader: [Bool] = []
    /// Per segment position: whether this backward pass has checked its gradient's finiteness.
    @exclusivity(unchecked) var segmentChecked: [Bool] = []
    /// Whether backward checks the finiteness of each parameter gradient as it is finished and
    /// flags an all-finite flat gradient (`Tensor.isKnownFinite`), so the optimizer's step need not
    /// read it again. Off only for the bench, which times backward with and without the check.
    package var checksGradientFiniteness = true
    /// The per-example matrix and loop buffers, reused the same way (Tape+PerExample.swift).
    var perExampleBuffers = PerExampleBuffers()

    /// When set, every matrix product the tape runs is appended here (the bench replays them to
    /// separate GEMM time from the tape's own).
    package var gemmCalls: [GEMMCall]?

    /// An empty tape. Keep it across steps to reuse its buffers.
    public init() {}

    deinit { arena.deallocate() }

    // MARK: - Recording

    /// Starts a recording over `parameters` (a flat vector laid out by `layout`), if any.
    func beginRecording(parameters: Tensor?, layout: ParameterLayout?) {
        check(!isRecording, "this tape is already recording; a Tape records one computation at a time")
        nodes.removeAll(keepingCapacity: true)
        integers.removeAll(keepingCapacity: true)
        arena.reset()
        hasRunBackward = false
        isRecording = true
        parameterNodes.removeAll(keepingCapacity: true)
        segmentFinishers.removeAll(keepingCapacity: true)
        segmentHasReader.removeAll(keepingCapacity: true)
        if let parameters, let layout {
            check(parameters.shape == [layout.count],
                         "the parameters have shape \(parameters.shape) but the layout needs a flat vector of shape [\(layout.count)]")
            self.parameters = parameters
            self.layout = layout
            for _ in layout.segments {
                parameterNodes.append(-1)
                segmentHasReader.append(false)
            }
        }
    }

    /// Ends the recording: lets go of the caller's tensors (so writing to them later copies
    /// nothing) and invalidates the recording's variables.
    func endRecording() {
        retained.removeAll(keepingCapacity: true)
        parameters = nil
        layout = nil
        isRecording = false
        generation &+= 1
    }

    /// Records a computation that is not tied to a parameter layout: create inputs with
    /// `variable(_:)` and `constant(_:)`, run `backward(from:seed:)`, read `gradient(of:)`.
    ///
    /// Variables must not escape `body`; a variable used after the call stops with a message.
    public func record<Result>(_ body: (Tape) throws -> Result) rethrows -> Result {
        beginRecording(parameters: nil, layout: nil)
        defer { endRecording() }
        return try body(self)
    }

    /// The node index of `variable`, after checking that it belongs to this recording.
    @inline(__always)
    func index(of variable: Variable, _ operation: StaticString) -> Int {
        check(variable.tape === self, "\(operation): the variable belongs to another tape")
        check(variable.generation == generation && isRecording,
                     "\(operation): the variable is from a recording that has ended (variables live for one call)")
        return variable.index
    }

    /// Appends a node and returns its variable.
    @inline(__always)
    func append(_ operation: TapeOperation, shape: TapeShape, value: UnsafeMutablePointer<Float>,
                requiresGradient: Bool) -> Variable {
        if !parameterNodes.isEmpty {
            let (a, b, c) = operation.operands
            noteReader(a)
            noteReader(b)
            noteReader(c)
        }
        nodes.append(TapeNode(operation: operation, shape: shape, count: shape.count, value: value,
                              requiresGradient: requiresGradient))
        return Variable(tape: self, index: nodes.count - 1, generation: generation)
    }

    /// Records the node about to be appended as the first reader of `operand` when that is a
    /// parameter leaf no node has read yet (see `segmentFinishers`).
    @inline(__always)
    private func noteReader(_ operand: Int) {
        guard operand >= 0 else { return }
        let segment = Int(nodes[operand].parameterSegment)
        if segment >= 0 && !segmentHasReader[segment] {
            segmentHasReader[segment] = true
            segmentFinishers.append((node: nodes.count, segment: segment))
        }
    }

    /// Fresh arena memory for `count` scalars, valid until the next recording starts.
    @inline(__always)
    func allocate(_ count: Int) -> UnsafeMutablePointer<Float> { arena.allocate(count) }

    // MARK: - Leaves

    /// `tensor` as an input that needs no gradient (data, targets, fixed weights).
    public func constant(_ tensor: Tensor) -> Variable { leaf(tensor, requiresGradient: false, "constant") }

    /// `tensor` as an input to differentiate with respect to; read its gradient with
    /// `gradient(of:)` after `backward(from:seed:)`.
    public func variable(_ tensor: Tensor) -> Variable { leaf(tensor, requiresGradient: true, "variable") }

    private func leaf(_ tensor: Tensor, requiresGradient: Bool, _ operation: StaticString) -> Variable {
        check(isRecording, "\(operation): the tape is not recording; use it inside record, valueWithGradient or value(at:in:)")
        let shape = TapeShape(tensor.shape)
        retained.append(tensor) // keeps the storage alive while nodes point into it
        return append(.leaf, shape: shape, value: tensor.storage.pointer, requiresGradient: requiresGradient)
    }

    /// A constant holding `scalars` in the arena: no heap allocation once the arena is sized.
    func constant(_ scalars: UnsafeBufferPointer<Float>, shape: TapeShape) -> Variable {
        check(isRecording, "constant: the tape is not recording")
        check(scalars.count == shape.count, "\(scalars.count) scalars cannot fill shape \(shape.array)")
        let value = allocate(shape.count)
        if let base = scalars.baseAddress { value.update(from: base, count: scalars.count) }
        return append(.leaf, shape: shape, value: value, requiresGradient: false)
    }

    /// The variable of one parameter segment: its values are read in place from the flat
    /// parameter vector and its gradient is written in place into the flat gradient.
    ///
    /// Asking twice for a segment returns the same variable, so a shared parameter sums the
    /// gradients of all its uses.
    public func parameter(_ segment: ParameterSegment) -> Variable {
        guard let layout, let parameters else {
            fail("parameter(\(segment.name)): this recording has no parameters; use valueWithGradient(at:in:_:)")
        }
        guard let position = layout.segments.firstIndex(of: segment) else {
            fail("parameter: segment \(segment.name) \(segment.shape) at offset \(segment.offset) is not in the layout being recorded")
        }
        if parameterNodes[position] >= 0 {
            return Variable(tape: self, index: parameterNodes[position], generation: generation)
        }
        let variable = append(.leaf, shape: TapeShape(segment.shape), value: parameters.storage.pointer + segment.offset,
                              requiresGradient: true)
        nodes[variable.index].parameterSegment = Int32(position)
        parameterNodes[position] = variable.index
        return variable
    }

    /// The variable of the parameter segment called `name`.
    public func parameter(named name: String) -> Variable {
        guard let segment = layout?.segment(named: name) else {
            fail("parameter(named:): no segment called \(name) in the layout being recorded")
        }
        return parameter(segment)
    }

    // MARK: - Reading results

    /// The value of `variable`, copied out of the tape.
    public func value(of variable: Variable) -> Tensor {
        let node = nodes[index(of: variable, "value(of:)")]
        let result = Tensor(uninitializedShape: node.shape.array)
        result.storage.pointer.update(from: node.value, count: node.count)
        return result
    }

    /// ∂(root)/∂(variable) after `backward(from:seed:)`: zeros where the root does not depend on it.
    public func gradient(of variable: Variable) -> Tensor {
        let node = nodes[index(of: variable, "gradient(of:)")]
        check(hasRunBackward, "gradient(of:): run backward(from:seed:) first")
        guard node.gradientIsWritten, let gradient = node.gradient else { return Tensor.zeros(node.shape.array) }
        let result = Tensor(uninitializedShape: node.shape.array)
        result.storage.pointer.update(from: gradient, count: node.count)
        return result
    }

    // MARK: - Backward

    /// Runs the pullbacks from `root` back to the inputs, accumulating the gradient of
    /// Σ seed ⊙ root into every variable it depends on.
    ///
    /// In a recording over a parameter layout, each segment's gradient is checked for NaN and ±∞
    /// right after the pullback that finishes it (that of the first node reading the segment,
    /// while the values are still in cache); when every segment is finite, the flat gradient is
    /// flagged as known finite, and an optimizer's step skips its own read of it.
    ///
    /// - Parameters:
    ///   - root: the variable to differentiate; without a seed it must hold one scalar.
    ///   - seed: ∂L/∂root for a root of any shape (a vector-Jacobian product); defaults to 1.
    public func backward(from root: Variable, seed: Tensor? = nil) {
        let rootIndex = index(of: root, "backward")
        check(!hasRunBackward, "backward: this recording has already been differentiated; record the computation again")
        hasRunBackward = true
        let rootShape = nodes[rootIndex].shape
        if let seed {
            check(seed.shape == rootShape.array,
                         "backward: the seed has shape \(seed.shape) but the variable has shape \(rootShape.array)")
        } else {
            check(nodes[rootIndex].count == 1,
                         "backward from a variable of shape \(rootShape.array) needs a seed gradient of that shape; only a one-element result has the implicit seed 1")
        }
        let flat = bindParameterGradients()
        let checks = flat != nil && checksGradientFiniteness
        var allFinite = true
        if nodes[rootIndex].requiresGradient {
            let (g, _) = gradientSlot(rootIndex)
            if let seed {
                seed.withUnsafeBufferPointer { g.update(from: $0.baseAddress!, count: $0.count) }
            } else {
                g.pointee = 1
            }
            // Segments first read after the root are never reached (their readers do not run).
            var finisher = segmentFinishers.count
            while finisher > 0 && segmentFinishers[finisher - 1].node > rootIndex { finisher -= 1 }
            for i in stride(from: rootIndex, through: 0, by: -1) {
                let node = nodes[i]
                if node.requiresGradient, node.gradientIsWritten, let g = node.gradient {
                    pullback(node, gradient: g)
                }
                // Node i is the first reader of these segments: their gradients are final now.
                while finisher > 0 && segmentFinishers[finisher - 1].node == i {
                    finisher -= 1
                    if checks && allFinite { allFinite = checkSegment(segmentFinishers[finisher].segment, flat!) }
                }
            }
        }
        if let flat {
            allFinite = finishParameterGradients(flat, allFinite: checks && allFinite)
            flatGradient.storage.knownFinite = checks && allFinite
        }
    }

    /// Whether the gradient of the segment at `position`, now final, is finite (true when no
    /// gradient reached it: it will be zero-filled); marks it checked.
    private func checkSegment(_ position: Int, _ flat: UnsafeMutablePointer<Float>) -> Bool {
        segmentChecked[position] = true
        guard nodes[parameterNodes[position]].gradientIsWritten else { return true }
        let segment = layout!.segments[position]
        return Kernels.allFinite(flat + segment.offset, count: segment.count)
    }

    /// Points each parameter node's gradient into the flat gradient buffer, which is reused
    /// unless a caller still holds the previous one. A reused buffer is about to be overwritten,
    /// so it loses its known-finite flag here; backward sets it again once it has checked the new
    /// values.
    private func bindParameterGradients() -> UnsafeMutablePointer<Float>? {
        guard let layout else { return nil }
        if flatGradient.count != layout.count || !isKnownUniquelyReferenced(&flatGradient.storage) {
            flatGradient = Tensor(uninitializedShape: [layout.count])
        }
        flatGradient.storage.knownFinite = false
        segmentChecked.removeAll(keepingCapacity: true)
        for _ in layout.segments { segmentChecked.append(false) }
        let flat = flatGradient.storage.pointer
        for (position, node) in parameterNodes.enumerated() where node >= 0 {
            nodes[node].gradient = flat + layout.segments[position].offset
            nodes[node].gradientIsWritten = false
        }
        return flat
    }

    /// Writes zeros into the segments no gradient reached (unused, or not on the root's path):
    /// the flat gradient is never zero-filled as a whole. With `checking`, also checks any
    /// reached segment no first reader finished (a root that is itself a parameter leaf, whose
    /// gradient is the seed) and returns whether every segment is finite.
    private func finishParameterGradients(_ flat: UnsafeMutablePointer<Float>, allFinite checking: Bool) -> Bool {
        guard let layout else { return false }
        var allFinite = checking
        for (position, segment) in layout.segments.enumerated() {
            let node = parameterNodes[position]
            if node < 0 || !nodes[node].gradientIsWritten {
                (flat + segment.offset).update(repeating: 0, count: segment.count)
            } else if allFinite && !segmentChecked[position] {
                allFinite = Kernels.allFinite(flat + segment.offset, count: segment.count)
            }
        }
        return allFinite
    }

    /// The gradient buffer of node `input` and whether the caller must add to it (`true`) or
    /// overwrite it (`false`, the first contribution). Ask right before writing: `x * x` asks
    /// twice for the same buffer and must see the first write.
    @inline(__always)
    func gradientSlot(_ input: Int) -> (UnsafeMutablePointer<Float>, accumulate: Bool) {
        if nodes[input].gradient == nil { nodes[input].gradient = allocate(nodes[input].count) }
        let accumulate = nodes[input].gradientIsWritten
        nodes[input].gradientIsWritten = true
        return (nodes[input].gradient!, accumulate)
    }

    /// The pullback of one node: dispatches to the op's pullback, which sits next to its forward.
    private func pullback(_ node: TapeNode, gradient g: UnsafeMutablePointer<Float>) {
        switch node.operation {
        case .leaf: break
        case let .add(a, b): pullbackAdd(node, g, a, b, subtract: false)
        case let .subtract(a, b): pullbackAdd(node, g, a, b, subtract: true)
        case let .multiply(a, b): pullbackMultiply(node, g, a, b)
        case let .divide(a, b): pullbackDivide(node, g, a, b)
        case let .affine(x, scale): pullbackAffine(node, g, x, scale: scale)
        case let .matmul(a, b, transposeA, transposeB): pullbackMatmul(node, g, a, b, transposeA, transposeB)
        case let .linear(x, w, b): pullbackLinear(node, g, x, w, b)
        case let .transpose(x): pullbackTranspose(node, g, x)
        case let .reshape(x): pullbackReshape(node, g, x)
        case let .gatherRows(x, start): pullbackGatherRows(node, g, x, indicesStart: start)
        case let .sum(x, scale): pullbackSum(node, g, x, scale: scale)
        case let .sumAlongAxis(x, outer, length, inner, scale):
            pullbackSumAlongAxis(node, g, x, outer: outer, length: length, inner: inner, scale: scale)
        case let .unary(x, function): pullbackUnary(node, g, x, function)
        case let .logSoftmax(x): pullbackLogSoftmax(node, g, x)
        case let .softmaxCrossEntropy(logits, probabilities, labelsStart):
            pullbackSoftmaxCrossEntropy(node, g, logits, probabilities, labelsStart: labelsStart)
        case let .squaredError(p, t): pullbackSquaredError(node, g, p, t)
        case let .weightedSum(x, w): pullbackWeightedSum(node, g, x, w)
        }
    }
}

// MARK: - Variable

/// A value recorded on a `Tape`: a handle (tape and position) that ops combine into new values.
///
/// Arithmetic operators broadcast as `Tensor`'s do, and every op records how to send a gradient
/// back to its inputs. A variable is valid only while its tape's recording lasts.
public struct Variable {
    /// The tape that recorded this variable (for `tape.constant(_:)` inside a layer).
    public let tape: Tape
    let index: Int
    let generation: Int

    /// The shape of the recorded value.
    public var shape: [Int] { tape.nodes[tape.index(of: self, "shape")].shape.array }

    /// The recorded value, copied out of the tape.
    public var value: Tensor { tape.value(of: self) }

    /// The shape as the tape stores it.
    var tapeShape: TapeShape { tape.nodes[tape.index(of: self, "shape")].shape }
}
