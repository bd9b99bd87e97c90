// ChainOptimizer+Update: the optimizer with a transform set after the learning rate, every other
// link, noise site and the state of each kept — how saddle perturbations and iterate averaging
// are put behind any rule.

extension ChainOptimizer where Update == Identity {
    /// This optimizer with `update` in the parameter-units slot (after the learning rate, before
    /// parameter noise); the rule, every noise site, the step count and every other link's state
    /// are kept, `update`'s state starts afresh.
    func withUpdate<New: GradientTransform>(_ update: New) throws -> ChainOptimizer<Rule, New> {
        var copy = try ChainOptimizer<Rule, New>(layout: layout, rule: rule, update: update, learningRate: learningRate)
        copy.transform = Chain(Chain(transform.first.first, update), transform.second)
        copy.state = .init(step: state.step,
                           transform: .init(first: .init(first: state.transform.first.first, second: update.makeState(for: layout)),
                                            second: state.transform.second),
                           samplingSeed: state.samplingSeed, perturbationSeed: state.perturbationSeed)
        copy.maximize = maximize
        copy.nonFiniteGradientPolicy = nonFiniteGradientPolicy
        copy.sampling = sampling
        copy.perturbation = perturbation
        return copy
    }
}
