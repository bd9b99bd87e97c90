// ParameterLayout+Flat: the one-segment layout of a problem without layers.

extension ParameterLayout {
    /// A layout of one segment of `count` scalars with role `.other`: the unknowns of a problem
    /// that has no layers (a quadratic, a least-squares fit).
    public static func flat(count: Int, name: String = "parameters") -> ParameterLayout {
        var layout = ParameterLayout()
        layout.append(name, shape: [count])
        return layout
    }
}
