// ParameterFilter: which segments of the flat parameter vector a per-segment option covers
// (by convention, no weight decay on biases).

/// A selection of the segments of a `ParameterLayout`, by role or by name.
public enum ParameterFilter: Codable, Sendable, Hashable {
    /// Every segment.
    case all
    /// The segments whose role is one of these.
    case roles(Set<ParameterRole>)
    /// The segments whose role is none of these.
    case excludingRoles(Set<ParameterRole>)
    /// The segments with one of these names.
    case names(Set<String>)
    /// The segments with none of these names.
    case excludingNames(Set<String>)

    /// Everything but biases: the usual weight-decay mask.
    public static let excludingBiases = ParameterFilter.excludingRoles([.bias])

    /// True if `segment` is selected.
    public func includes(_ segment: ParameterSegment) -> Bool {
        switch self {
        case .all: return true
        case let .roles(roles): return roles.contains(segment.role)
        case let .excludingRoles(roles): return !roles.contains(segment.role)
        case let .names(names): return names.contains(segment.name)
        case let .excludingNames(names): return !names.contains(segment.name)
        }
    }

    /// The selected positions of the flat vector as sorted, disjoint ranges (adjacent segments merged).
    public func ranges(in layout: ParameterLayout) -> [Range<Int>] {
        var result: [Range<Int>] = []
        for segment in layout.segments where includes(segment) && segment.count > 0 {
            if let last = result.last, last.upperBound == segment.offset {
                result[result.count - 1] = last.lowerBound..<segment.range.upperBound
            } else {
                result.append(segment.range)
            }
        }
        return result
    }
}
