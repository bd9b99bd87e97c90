// Tape+RowDependence: which segments the one-pass per-example gradients cover. A forward pass over
// the recorded ops finds whether each value keeps the examples' rows apart; the weight and bias of a
// linear op over the rows (or the right factor W of a product x·W), used nowhere else, are covered
// when the losses depend on that op row by row (Goodfellow 2015's condition). Every other segment
// goes through the loop over examples.

/// How a recorded value depends on the outputs of the linear ops over the batch's rows.
enum RowDependence: UInt8, Comparable {
    /// Not at all: data, parameters, and what is computed from them alone.
    case none
    /// Row r (first axis, one row per example) depends on them through their row r only.
    case rowwise
    /// Across rows (a sum over the batch, a transpose, a gather, a product from the left…).
    case mixed

    static func < (a: RowDependence, b: RowDependence) -> Bool { a.rawValue < b.rawValue }
}

/// Which segments take the one-pass path, through which linear ops, and which the loop.
struct PerExamplePlan {
    /// A linear node and its segments on the one-pass path (nil: that operand is not).
    var linears: [(node: Int, input: Int, weight: ParameterSegment?, bias: ParameterSegment?)] = []
    var loopSegments: [ParameterSegment] = []
    /// Segments the recording never used: zero rows.
    var unusedSegments: [ParameterSegment] = []
}

extension Tape {
    /// The segments on the one-pass path: the weight and bias of every `linear` node over the
    /// batch's rows, and the right factor of every untransposed `matmul` over them, that are
    /// parameter segments used by that node only, when the losses depend on every such node row
    /// by row.
    func perExamplePlan(root: Int, rows: Int, layout: ParameterLayout) -> PerExamplePlan {
        let dependence = rowDependence(rows: rows)
        var uses = [Int](repeating: 0, count: nodes.count)
        for node in nodes {
            let (a, b, c) = node.operation.operands
            if a >= 0 { uses[a] += 1 }
            if b >= 0 { uses[b] += 1 }
            if c >= 0 { uses[c] += 1 }
        }
        var segmentOfNode: [Int: Int] = [:]
        for (position, node) in parameterNodes.enumerated() where node >= 0 { segmentOfNode[node] = position }
        var onePass = [Bool](repeating: false, count: layout.segments.count)
        var plan = PerExamplePlan()
        if dependence[root] != .mixed {
            for n in nodes.indices {
                guard dependence[n] == .rowwise, nodes[n].shape.rank == 2, nodes[n].shape[0] == rows else { continue }
                // x·W + b, or x·W as a matmul (∂ℓᵢ/∂W = xᵢδᵢᵀ either way).
                let x: Int, w: Int, b: Int
                switch nodes[n].operation {
                case let .linear(input, weight, bias): (x, w, b) = (input, weight, bias)
                case let .matmul(input, weight, false, false): (x, w, b) = (input, weight, -1)
                default: continue
                }
                func owned(_ i: Int) -> ParameterSegment? {
                    guard i >= 0, uses[i] == 1, let position = segmentOfNode[i] else { return nil }
                    onePass[position] = true
                    return layout.segments[position]
                }
                let weight = owned(w), bias = owned(b)
                if weight != nil || bias != nil { plan.linears.append((n, x, weight, bias)) }
            }
        }
        for (position, segment) in layout.segments.enumerated() {
            if parameterNodes[position] < 0 {
                plan.unusedSegments.append(segment)
            } else if !onePass[position] {
                plan.loopSegments.append(segment)
            }
        }
        return plan
    }

    /// Each node's `RowDependence` on the outputs of linear ops over a batch of `rows` rows,
    /// forward over the tape. A linear op whose output has `rows` rows starts a row-wise value;
    /// ops that keep rows apart (elementwise, per-row losses, products from the right, last-axis
    /// softmax) pass it on; anything that reads across rows makes it `mixed`, and so is
    /// everything computed from a mixed value. With one row nothing can mix.
    func rowDependence(rows: Int) -> [RowDependence] {
        if rows == 1 { return [RowDependence](repeating: .rowwise, count: nodes.count) }
        var state = [RowDependence](repeating: .none, count: nodes.count)
        for n in nodes.indices {
            let node = nodes[n]
            let (a, b, c) = node.operation.operands
            let worst = Swift.max(a < 0 ? .none : state[a], b < 0 ? .none : state[b], c < 0 ? .none : state[c])
            if worst == .mixed {
                state[n] = .mixed
                continue
            }
            let hasRows = node.shape.rank >= 1 && node.shape[0] == rows
            let rowwiseOnly: RowDependence = worst == .none ? .none : .mixed
            switch node.operation {
            case .leaf:
                state[n] = .none
            case .affine, .unary, .softmaxCrossEntropy, .squaredError:
                state[n] = worst // per element, or per row with one output per row
            case .add, .subtract, .multiply, .divide:
                // Broadcasting keeps rows apart when each row-wise operand's first axis is the output's.
                let aligned = (state[a] != .rowwise || nodes[a].shape.rank == node.shape.rank)
                    && (state[b] != .rowwise || nodes[b].shape.rank == node.shape.rank)
                state[n] = worst == .none ? .none : (aligned && hasRows ? .rowwise : .mixed)
            case let .matmul(x, y, transposeA, _):
                // x·y keeps x's rows apart; y's rows (or xᵀ's) are summed over. Like a linear op,
                // x·y over the batch's rows starts a row-wise value.
                if state[y] == .rowwise || (state[x] == .rowwise && transposeA) {
                    state[n] = .mixed
                } else {
                    state[n] = state[x] == .rowwise || (hasRows && !transposeA) ? .rowwise : .none
                }
            case let .linear(x, w, bias):
                if state[w] != .none || (bias >= 0 && state[bias] != .none) {
                    state[n] = .mixed
                } else {
                    state[n] = state[x] == .rowwise || hasRows ? .rowwise : .none
                }
            case .logSoftmax:
                state[n] = worst == .rowwise && node.shape.rank < 2 ? .mixed : worst
            case .reshape:
                state[n] = worst == .rowwise && !hasRows ? .mixed : worst
            case let .sumAlongAxis(_, outer, _, _, _):
                // outer < rows means the summed axis is the first (the batch).
                state[n] = worst == .rowwise && (outer < rows || !hasRows) ? .mixed : worst
            case .transpose, .gatherRows, .sum, .weightedSum:
                state[n] = rowwiseOnly
            }
        }
        return state
    }
}
