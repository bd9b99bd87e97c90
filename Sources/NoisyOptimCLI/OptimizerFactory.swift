// OptimizerFactory: every optimizer the command line can build, from option values to a
// NoisyOptim optimizer, in this one file (so that an optimizer API change is adapted here alone).

import NoisyOptim

/// The optimizers `--optimizer` names, each with its paper.
enum OptimizerName: String, CaseIterable, Sendable {
    case gd, sgd, momentum, nesterov
    case noisySGD = "noisy-sgd"
    case msgdGaussian = "msgd-gaussian"
    case msgdGaussianDiagonal = "msgd-gaussian-diagonal"
    case msgdBernoulli = "msgd-bernoulli"
    case msgdSparseGaussian = "msgd-sparse-gaussian"
    case perturbedGD = "perturbed-gd"
    case antiPGD = "anti-pgd"
    case adam, adamw, amsgrad, adagrad, rmsprop, adadelta
    case adamax
    case sgdHD = "sgd-hd"
    case adamHD = "adam-hd"
    case sgld, psgld, sghmc

    /// The name in tables.
    var title: String {
        switch self {
        case .gd: "GD (full batch)"
        case .sgd: "SGD"
        case .momentum: "SGD + momentum 0.9"
        case .nesterov: "SGD + Nesterov 0.9"
        case .noisySGD: "Noisy SGD (Neelakantan 2015)"
        case .msgdGaussian: "MSGD Gaussian (Wu 2020)"
        case .msgdGaussianDiagonal: "MSGD Gaussian diag. (Wu 2020)"
        case .msgdBernoulli: "MSGD Bernoulli (Wu 2020)"
        case .msgdSparseGaussian: "MSGD sparse Gaussian (Wu 2020)"
        case .perturbedGD: "Perturbed GD layer-wise (Orvieto 2023)"
        case .antiPGD: "Anti-PGD (Orvieto 2022)"
        case .adam: "Adam"
        case .adamw: "AdamW"
        case .amsgrad: "AMSGrad"
        case .adagrad: "Adagrad"
        case .rmsprop: "RMSprop"
        case .adadelta: "Adadelta"
        case .adamax: "Adamax"
        case .sgdHD: "SGD-HD (Baydin 2018)"
        case .adamHD: "Adam-HD (Baydin 2018)"
        case .sgld: "SGLD (Welling 2011)"
        case .psgld: "pSGLD (Li 2016)"
        case .sghmc: "SGHMC (Chen 2014)"
        }
    }

    /// The line of `--help`: what it is and where it comes from.
    var reference: String {
        switch self {
        case .gd: "gradient descent on the full batch"
        case .sgd: "mini-batch SGD (Robbins & Monro 1951)"
        case .momentum: "heavy-ball momentum 0.9, PyTorch's convention (Polyak 1964)"
        case .nesterov: "Nesterov momentum 0.9 (Nesterov 1983; Sutskever et al. 2013)"
        case .noisySGD: "SGD + annealed gradient noise η/(1+t)^γ (Neelakantan et al. 2015)"
        case .msgdGaussian: "multiplicative SGD, Gaussian W with SGD's covariance (Wu et al. 2020)"
        case .msgdGaussianDiagonal: "multiplicative SGD, Gaussian W with SGD's diagonal covariance (Wu et al. 2020)"
        case .msgdBernoulli: "multiplicative SGD, Bernoulli W, p = b/n (Wu et al. 2020)"
        case .msgdSparseGaussian: "multiplicative SGD, Gaussian W on B = 4b random examples (Wu et al. 2020)"
        case .perturbedGD: "gradient at θ + ξ, one layer a step, σ = 0.05 (Orvieto et al. 2023)"
        case .antiPGD: "anti-correlated perturbations ξₜ₊₁ − ξₜ, σ = 0.05 (Orvieto et al. 2022)"
        case .adam: "Adam (Kingma & Ba 2015)"
        case .adamw: "Adam with decoupled weight decay 0.01 (Loshchilov & Hutter 2019)"
        case .amsgrad: "Adam with AMSGrad's running maximum of v (Reddi, Kale & Kumar 2018)"
        case .adagrad: "Adagrad, PyTorch's defaults (Duchi, Hazan & Singer 2011)"
        case .rmsprop: "RMSprop, PyTorch's defaults (Tieleman & Hinton 2012)"
        case .adadelta: "Adadelta, PyTorch's defaults (Zeiler 2012)"
        case .adamax: "Adamax, Adam with an infinity norm, PyTorch's defaults (Kingma & Ba 2015, §7.1)"
        case .sgdHD: "SGD whose lr learns from its hypergradient, β = 10⁻³ (Baydin et al. 2018)"
        case .adamHD: "Adam whose lr learns from its hypergradient, β = 10⁻⁷ (Baydin et al. 2018)"
        case .sgld: "Langevin dynamics on the mean loss at T = 1/n, drift lr (Welling & Teh 2011)"
        case .psgld: "SGLD with RMSprop's preconditioner, α 0.99, λ 1e-5, T = 1/n (Li et al. 2016)"
        case .sghmc: "stochastic-gradient HMC, friction 0.1, T = 1/n (Chen, Fox & Guestrin 2014)"
        }
    }

    /// The learning rate when `--lr` is not given.
    var defaultLearningRate: Double {
        switch self {
        case .gd, .perturbedGD, .antiPGD: 0.2
        case .momentum, .nesterov, .adagrad, .rmsprop, .psgld, .sghmc: 0.01
        case .adam, .adamw, .amsgrad, .adamax, .adamHD: 2e-3
        case .adadelta: 1
        default: 0.1
        }
    }

    /// The sampling when `--sampling` is not given.
    var defaultSampling: SamplingChoice {
        switch self {
        case .gd, .perturbedGD, .antiPGD: .full
        case .msgdGaussian: .gaussian
        case .msgdGaussianDiagonal: .gaussianDiagonal
        case .msgdBernoulli: .bernoulli
        case .msgdSparseGaussian: .sparseGaussian
        default: .epoch
        }
    }

    /// Whether `--sampling` may replace the default (not for the MSGD classes, whose name is the class).
    var acceptsSampling: Bool {
        switch self {
        case .msgdGaussian, .msgdGaussianDiagonal, .msgdBernoulli, .msgdSparseGaussian: false
        default: true
        }
    }
}

/// Where W comes from (`--sampling`).
enum SamplingChoice: String, CaseIterable, Sendable {
    /// Epochs of shuffled batches of b (each example once per epoch).
    case epoch
    /// A fresh batch of b each step, independent of the last.
    case sgd
    /// Every example, every step.
    case full
    case gaussian
    case gaussianDiagonal = "gaussian-diagonal"
    case bernoulli
    case sparseGaussian = "sparse-gaussian"

    var help: String {
        switch self {
        case .epoch: "epochs of shuffled batches of b"
        case .sgd: "a fresh batch of b each step"
        case .full: "the full batch"
        case .gaussian: "Gaussian W, SGD's covariance at b"
        case .gaussianDiagonal: "Gaussian W, SGD's diagonal covariance"
        case .bernoulli: "Bernoulli W, p = b/n"
        case .sparseGaussian: "Gaussian W on 4b random examples"
        }
    }
}

/// Which parameters `--perturb` perturbs.
enum PerturbationMode: String, Sendable {
    case all, layer
}

/// Everything the factory needs from the options.
struct OptimizerSettings: Sendable, Equatable {
    var name: OptimizerName
    var learningRate: Double
    var momentum: Double?
    var batchSize: Int
    var gradientNoise: (eta: Double, gamma: Double)?
    var perturbation: (sigma: Double, mode: PerturbationMode)?
    var sampling: SamplingChoice
    var clipNorm: Double?
    var seed: UInt64

    static func == (a: OptimizerSettings, b: OptimizerSettings) -> Bool { a.description == b.description }

    /// Settings for `name` with its defaults filled in where an option was not given: its
    /// learning rate and sampling, momentum 0.9 for the momentum methods, η = 0.01, γ = 0.55 for
    /// noisy SGD, σ = 0.05 layer-wise for the perturbed methods.
    init(name: OptimizerName, learningRate: Double? = nil, momentum: Double? = nil, batchSize: Int = 32,
         gradientNoise: (eta: Double, gamma: Double)? = nil, perturbation: (sigma: Double, mode: PerturbationMode)? = nil,
         sampling: SamplingChoice? = nil, clipNorm: Double? = nil, seed: UInt64 = 1) {
        self.name = name
        self.learningRate = learningRate ?? name.defaultLearningRate
        self.momentum = momentum ?? (name == .momentum || name == .nesterov ? 0.9 : nil)
        self.batchSize = batchSize
        self.gradientNoise = gradientNoise ?? (name == .noisySGD ? (0.01, 0.55) : nil)
        self.perturbation = perturbation ?? (name == .perturbedGD || name == .antiPGD ? (0.05, .layer) : nil)
        self.sampling = sampling ?? name.defaultSampling
        self.clipNorm = clipNorm
        self.seed = seed
    }

    /// A canonical description (used in checkpoints, JSON and tables).
    var description: String {
        var parts = ["\(name.rawValue)", "lr \(learningRate)", "b \(batchSize)", "sampling \(sampling.rawValue)", "seed \(seed)"]
        if let momentum { parts.append("momentum \(momentum)") }
        if let gradientNoise { parts.append("gradient noise η \(gradientNoise.eta) γ \(gradientNoise.gamma)") }
        if let perturbation { parts.append("perturb σ \(perturbation.sigma) \(perturbation.mode.rawValue)") }
        if let clipNorm { parts.append("clip \(clipNorm)") }
        return parts.joined(separator: ", ")
    }

    /// The noise, in words, for tables.
    var noiseDescription: String {
        var parts: [String] = []
        switch sampling {
        case .epoch: parts.append("sampling: epochs, b = \(batchSize)")
        case .sgd: parts.append("sampling: mini-batch b = \(batchSize)")
        case .full: break
        case .gaussian: parts.append("sampling: Gaussian, Cov of b = \(batchSize)")
        case .gaussianDiagonal: parts.append("sampling: Gaussian diag., b = \(batchSize)")
        case .bernoulli: parts.append("sampling: Bernoulli p = b/n")
        case .sparseGaussian: parts.append("sampling: sparse Gaussian B = \(4 * batchSize)")
        }
        if let gradientNoise { parts.append("gradient: η = \(gradientNoise.eta), γ = \(gradientNoise.gamma)") }
        if let clipNorm { parts.append("clip \(clipNorm)") }
        if let perturbation {
            parts.append("parameters: σ = \(perturbation.sigma), " + (name == .antiPGD ? "anti-correlated" : perturbation.mode == .layer ? "one layer a step" : "σ²/L on each of L segments"))
        }
        return parts.isEmpty ? "none" : parts.joined(separator: "; ")
    }
}

/// A built optimizer and the epochs of batches the training loop feeds it (nil: it draws W).
struct BuiltOptimizer {
    var optimizer: any Optimizer
    var batches: EpochSampling?
}

/// Builds the optimizer the settings describe, for `layout` over `exampleCount` examples. Every
/// noise site goes on every optimizer: they are options of the one `ChainOptimizer`.
///
/// - Throws: `CommandLineError.usage` naming the option when a value is out of its domain (the
///   library's typed errors, translated).
func makeOptimizer(_ settings: OptimizerSettings, layout: ParameterLayout, exampleCount n: Int) throws -> BuiltOptimizer {
    let b = settings.batchSize
    guard b >= 1 && b <= n else {
        throw CommandLineError.usage("--batch: \(b) is not accepted; expected 1 ≤ b ≤ \(n), the number of training examples")
    }
    let samplingSeed = settings.seed &+ 1
    var batches: EpochSampling? = nil
    let scheme: any SamplingScheme
    do {
        switch settings.sampling {
        case .epoch:
            batches = try EpochSampling(exampleCount: n, batchSize: b, seed: samplingSeed)
            scheme = FullBatch(exampleCount: n) // replaced by the loop's batches
        case .sgd: scheme = try SGDSampling(exampleCount: n, batchSize: b)
        case .full: scheme = FullBatch(exampleCount: n)
        case .gaussian: scheme = try GaussianSampling(exampleCount: n, imitatingBatchSize: b)
        case .gaussianDiagonal: scheme = try GaussianSampling(exampleCount: n, imitatingBatchSize: b, covariance: .diagonal)
        case .bernoulli: scheme = try BernoulliSampling(exampleCount: n, imitatingBatchSize: b)
        case .sparseGaussian:
            scheme = try SparseGaussianSampling(exampleCount: n, support: min(n, max(2, 4 * b)), imitatingBatchSize: b)
        }
    } catch let error as SamplingError {
        throw CommandLineError.usage("--sampling \(settings.sampling.rawValue) with --batch \(b) on \(n) examples: \(error)")
    }
    let noise = settings.gradientNoise.map { GradientNoise(eta: $0.eta, gamma: $0.gamma, seed: settings.seed &+ 2) }
    let clipping = settings.clipNorm.map { GradientClipping.globalNorm($0) }
    let perturbation = settings.perturbation.map {
        Perturbation(sigma: $0.sigma, mode: $0.mode == .all ? .allSegments : .layerWise,
                     antiCorrelated: settings.name == .antiPGD, seed: settings.seed &+ 3)
    }

    /// The sites, the same for every rule.
    func withSites<Rule, Update>(_ optimizer: ChainOptimizer<Rule, Update>) throws -> any Optimizer {
        try optimizer.withSampling(scheme, seed: samplingSeed)
            .withClipping(clipping)
            .withGradientNoise(noise)
            .withPerturbation(perturbation)
    }

    do {
        let lr = settings.learningRate
        let optimizer: any Optimizer
        switch settings.name {
        case .adam: optimizer = try withSites(Adam(layout: layout, learningRate: lr))
        case .adamw: optimizer = try withSites(AdamW(layout: layout, learningRate: lr)) // PyTorch's decay 0.01
        case .amsgrad: optimizer = try withSites(AMSGrad(layout: layout, learningRate: lr))
        case .adagrad: optimizer = try withSites(Adagrad(layout: layout, learningRate: lr))
        case .rmsprop: optimizer = try withSites(RMSprop(layout: layout, learningRate: lr, momentum: settings.momentum ?? 0))
        case .adadelta: optimizer = try withSites(Adadelta(layout: layout, learningRate: lr))
        case .adamax: optimizer = try withSites(Adamax(layout: layout, learningRate: lr))
        // --lr is α₀, the learned rate's start; β is the paper's.
        case .sgdHD: optimizer = try withSites(SGDHD(layout: layout, learningRate: lr, hypergradientLearningRate: 1e-3))
        case .adamHD: optimizer = try withSites(AdamHD(layout: layout, learningRate: lr, hypergradientLearningRate: 1e-7))
        // The samplers step on the mean loss L̄ = Σᵢ Wᵢℓᵢ: at T = 1/n they sample exp(−n·L̄), the
        // posterior of a flat prior. SGLD's drift −(ε/2)∇L̄ is −lr·∇L̄ with ε = 2·lr.
        case .sgld:
            optimizer = try withSites(SGLD(layout: layout, stepSize: 2 * lr, temperature: 1 / Double(n), seed: settings.seed &+ 4))
        case .psgld:
            optimizer = try withSites(PreconditionedSGLD(layout: layout, stepSize: 2 * lr, temperature: 1 / Double(n),
                                                         seed: settings.seed &+ 4))
        case .sghmc:
            optimizer = try withSites(SGHMC(layout: layout, learningRate: lr, temperature: 1 / Double(n), seed: settings.seed &+ 4))
        default:
            optimizer = try withSites(SGD(layout: layout, learningRate: lr, momentum: settings.momentum ?? 0, nesterov: settings.name == .nesterov))
        }
        return BuiltOptimizer(optimizer: optimizer, batches: batches)
    } catch let error as OptimizerError {
        throw CommandLineError.usage("--optimizer \(settings.name.rawValue): \(error)")
    }
}
