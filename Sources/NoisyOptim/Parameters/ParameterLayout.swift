// ParameterLayout: a model's parameters as named segments of one flat Float32 vector.
//
// One flat vector makes an optimizer step a single fused pass, lets one noise fill cover every
// parameter, and makes a checkpoint just the vector plus optimizer state. Layer-wise schemes
// (per-segment weight decay, one-layer-at-a-time perturbation) read the segment table.

/// What a segment holds, for options that treat kinds of parameters differently
/// (by convention no weight decay on biases).
public enum ParameterRole: String, Codable, Sendable, Hashable {
    /// A weight matrix or kernel.
    case weight
    /// An additive bias.
    case bias
    /// Anything else (scales, embeddings, the unknowns of a quadratic).
    case other
}

/// A named, shaped stretch of a flat parameter vector.
public struct ParameterSegment: Codable, Sendable, Hashable {
    /// A name unique within its layout, such as `"dense1.weight"`.
    public let name: String
    /// The shape the scalars take when viewed as a tensor.
    public let shape: [Int]
    /// Where the segment starts in the flat vector.
    public let offset: Int
    /// What the segment holds.
    public let role: ParameterRole

    /// The number of scalars: the product of `shape`.
    public var count: Int { shape.reduce(1, *) }
    /// The positions of the segment's scalars in the flat vector.
    public var range: Range<Int> { offset..<(offset + count) }

    init(name: String, shape: [Int], offset: Int, role: ParameterRole) {
        self.name = name
        self.shape = shape
        self.offset = offset
        self.role = role
    }

    private enum CodingKeys: String, CodingKey { case name, shape, offset, role }

    /// Decodes a segment, checking that its sizes are ≥ 0 and that offset + count fits an Int
    /// (`DecodingError.dataCorrupted` otherwise), so `count` and `range` cannot trap.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .name)
        let shape = try container.decode([Int].self, forKey: .shape)
        let offset = try container.decode(Int.self, forKey: .offset)
        guard let count = Tensor.checkedElementCount(of: shape) else {
            throw DecodingError.dataCorruptedError(forKey: .shape, in: container,
                debugDescription: "segment \(name) has shape \(shape): a negative size or too many scalars")
        }
        guard offset >= 0, !offset.addingReportingOverflow(count).overflow else {
            throw DecodingError.dataCorruptedError(forKey: .offset, in: container,
                debugDescription: "segment \(name) has offset \(offset); it must be ≥ 0 and leave room for \(count) scalars")
        }
        self.init(name: name, shape: shape, offset: offset, role: try container.decode(ParameterRole.self, forKey: .role))
    }
}

/// The table of segments that cut a flat parameter vector into named tensors.
public struct ParameterLayout: Codable, Sendable, Hashable {
    /// The segments in the order they were added; they tile `0..<count` without gaps.
    public private(set) var segments: [ParameterSegment] = []
    /// The total number of scalars.
    public private(set) var count = 0

    /// An empty layout.
    public init() {}

    /// Appends a segment of `shape` after the existing ones and returns it.
    /// Stops if the name is already used or a size is negative.
    @discardableResult
    public mutating func append(_ name: String, shape: [Int], role: ParameterRole = .other) -> ParameterSegment {
        check(shape.allSatisfy { $0 >= 0 }, "parameter \(name) has a negative size in shape \(shape)")
        check(segment(named: name) == nil, "a parameter named \(name) already exists")
        let size = Tensor.checkedElementCount(of: shape)
        check(size != nil && !count.addingReportingOverflow(size!).overflow,
              "parameter \(name) of shape \(shape) does not fit after the \(count) scalars of the layout")
        let segment = ParameterSegment(name: name, shape: shape, offset: count, role: role)
        segments.append(segment)
        count += segment.count
        return segment
    }

    private enum CodingKeys: String, CodingKey { case segments, count }

    /// Decodes a layout, checking what `append` guarantees: the segments tile 0..<count in order
    /// without gaps and their names are unique. Otherwise `DecodingError.dataCorrupted` naming the
    /// first segment that does not fit.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let segments = try container.decode([ParameterSegment].self, forKey: .segments)
        let count = try container.decode(Int.self, forKey: .count)
        var end = 0
        var names = Set<String>()
        for segment in segments {
            guard segment.offset == end else {
                throw DecodingError.dataCorruptedError(forKey: .segments, in: container,
                    debugDescription: "segment \(segment.name) starts at \(segment.offset), expected \(end) (segments tile the vector in order)")
            }
            guard names.insert(segment.name).inserted else {
                throw DecodingError.dataCorruptedError(forKey: .segments, in: container,
                    debugDescription: "two segments are named \(segment.name)")
            }
            end = segment.range.upperBound
        }
        guard count == end else {
            throw DecodingError.dataCorruptedError(forKey: .count, in: container,
                debugDescription: "count is \(count) but the segments cover \(end) scalars")
        }
        self.segments = segments
        self.count = count
    }

    /// The segment called `name`, if any.
    public func segment(named name: String) -> ParameterSegment? {
        segments.first { $0.name == name }
    }
}

extension Tensor {
    /// The scalars of `segment` in this flat vector, shaped as the segment says (a copy).
    public func slice(_ segment: ParameterSegment) -> Tensor {
        check(rank == 1 && segment.range.upperBound <= count,
                     "segment \(segment.name) (\(segment.range)) does not fit a flat vector of shape \(shape)")
        let result = Tensor(uninitializedShape: segment.shape)
        withUnsafeBufferPointer { result.storage.pointer.update(from: $0.baseAddress! + segment.offset, count: segment.count) }
        return result
    }

    /// Writes `value` into the part of this flat vector that `segment` covers.
    public mutating func setSlice(_ segment: ParameterSegment, to value: Tensor) {
        check(rank == 1 && segment.range.upperBound <= count,
                     "segment \(segment.name) (\(segment.range)) does not fit a flat vector of shape \(shape)")
        check(value.shape == segment.shape, "segment \(segment.name) has shape \(segment.shape), value has shape \(value.shape)")
        withUnsafeMutableBufferPointer { out in
            value.withUnsafeBufferPointer { (out.baseAddress! + segment.offset).update(from: $0.baseAddress!, count: segment.count) }
        }
    }
}
